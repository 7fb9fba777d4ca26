package dev.tollgate.envoy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.JsonFormat;
import dev.tollgate.testsupport.EnvoyChecks;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * The Envoy API classes (generated with an older protoc) work on the protobuf runtime in use:
 * descriptors load, messages round-trip in binary and JSON, and protobuf logs no gencode/runtime
 * warning while doing so.
 */
class ProtobufCompatibilityTest {
  @Test
  void envoyGencodeRunsOnThisRuntimeWithoutWarnings() throws Exception {
    List<LogRecord> records = new ArrayList<>();
    Handler h =
        new Handler() {
          @Override
          public void publish(LogRecord r) {
            if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
              records.add(r);
            }
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    Logger root = Logger.getLogger("com.google.protobuf");
    root.addHandler(h);
    try {
      CheckRequest req =
          EnvoyChecks.post("/v1/chat/completions").bearer("k").json("{\"model\":\"m\"}").build();
      assertEquals(req, CheckRequest.parseFrom(req.toByteArray()));
      CheckRequest.Builder fromJson = CheckRequest.newBuilder();
      JsonFormat.parser().merge(JsonFormat.printer().print(req), fromJson);
      assertEquals(req, fromJson.build());
      assertTrue(CheckResponse.getDescriptor().getFields().size() > 0);
      assertTrue(ProcessingRequest.getDescriptor().getFields().size() > 0);
      assertTrue(ProcessingResponse.getDescriptor().getFields().size() > 0);
    } finally {
      root.removeHandler(h);
    }
    assertTrue(
        records.isEmpty(),
        "protobuf warnings: " + records.stream().map(LogRecord::getMessage).toList());
  }
}
