package dev.tollgate.bench;

import com.google.protobuf.Struct;
import dev.tollgate.Fixtures;
import dev.tollgate.TestConfigs;
import dev.tollgate.Tollgate;
import dev.tollgate.envoy.extproc.ExtProcStreams;
import dev.tollgate.quota.InMemoryQuotaStore;
import dev.tollgate.testsupport.EnvoyChecks;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * STREAMED SSE accounting over in-process gRPC: per-chunk cost (send one response_body, wait for
 * its reply) as median and p99 µs, and whole streams per second with 20 chunks each (headers, 20
 * body chunks, settlement). The chunks are the captured chat stream cut into 20 pieces.
 *
 * <p>Run: {@code ./mvnw -q -pl server test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.tollgate.bench.ExtProcBench}
 */
public final class ExtProcBench {
  private ExtProcBench() {}

  public static void main(String[] args) throws Exception {
    int streams = args.length > 0 ? Integer.parseInt(args[0]) : 3000;
    String name = InProcessServerBuilder.generateName();
    try (Tollgate t =
        Tollgate.start(
            TestConfigs.withLimits("- { scope: user, window: 5m, tokens: 1000000000000 }"),
            InProcessServerBuilder.forName(name).directExecutor(),
            null,
            false,
            Clock.systemUTC(),
            new InMemoryQuotaStore())) {
      ManagedChannel ch = InProcessChannelBuilder.forName(name).directExecutor().build();
      byte[] sse =
          Files.readAllBytes(Fixtures.path("chat_completions/stream_include_usage_captured.sse"));
      byte[][] chunks = new byte[20][];
      for (int i = 0; i < 20; i++) {
        chunks[i] = Arrays.copyOfRange(sse, sse.length * i / 20, sse.length * (i + 1) / 20);
      }
      String body =
          "{\"model\":\"gpt-4o\",\"max_tokens\":200,\"messages\":[{\"role\":\"user\",\"content\":\"What's the weather like in SF?\"}]}";
      Struct md =
          AuthorizationGrpc.newBlockingStub(ch)
              .check(
                  EnvoyChecks.post("/v1/chat/completions")
                      .bearer(TestConfigs.SERVICE_KEY)
                      .header("x-on-behalf-of", "bench")
                      .json(body)
                      .build())
              .getDynamicMetadata();
      ExtProcStreams s = new ExtProcStreams(md);
      List<ProcessingRequest> msgs = new ArrayList<>();
      msgs.add(s.requestHeaders("/v1/chat/completions", false));
      msgs.add(s.responseHeaders(200, "text/event-stream", null, false));
      for (int i = 0; i < 20; i++) {
        msgs.add(s.responseBody(chunks[i], i == 19));
      }
      long[] perChunk = new long[streams * 20];
      int k = 0;
      for (int w = 0; w < 500; w++) {
        stream(ch, msgs, null, 0);
      }
      long t0 = System.nanoTime();
      for (int i = 0; i < streams; i++) {
        k = stream(ch, msgs, perChunk, k);
      }
      double secs = (System.nanoTime() - t0) / 1e9;
      long[] lat = Arrays.copyOf(perChunk, k);
      Arrays.sort(lat);
      System.out.printf(
          "ext_proc STREAMED SSE, in-process gRPC, one stream at a time, %d streams of 20 chunks%n",
          streams);
      System.out.printf(
          "per chunk: median %.1f µs, p99 %.1f µs%n",
          lat[k / 2] / 1e3, lat[(int) (k * 0.99)] / 1e3);
      System.out.printf(
          "whole streams (headers + 20 chunks + settle): %.0f streams/s%n", streams / secs);
      ch.shutdownNow();
    }
  }

  static int stream(ManagedChannel ch, List<ProcessingRequest> msgs, long[] perChunk, int k)
      throws Exception {
    LinkedBlockingQueue<ProcessingResponse> replies = new LinkedBlockingQueue<>();
    CountDownLatch done = new CountDownLatch(1);
    StreamObserver<ProcessingRequest> in =
        ExternalProcessorGrpc.newStub(ch)
            .process(
                new StreamObserver<>() {
                  @Override
                  public void onNext(ProcessingResponse value) {
                    replies.add(value);
                  }

                  @Override
                  public void onError(Throwable t) {
                    done.countDown();
                  }

                  @Override
                  public void onCompleted() {
                    done.countDown();
                  }
                });
    for (ProcessingRequest m : msgs) {
      long t0 = System.nanoTime();
      in.onNext(m);
      replies.take();
      if (perChunk != null && m.hasResponseBody()) {
        perChunk[k++] = System.nanoTime() - t0;
      }
    }
    in.onCompleted();
    done.await(5, TimeUnit.SECONDS);
    return k;
  }
}
