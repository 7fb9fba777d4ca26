package dev.tollgate.envoy.extproc;

import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import java.util.Map;

/**
 * ProcessingRequests as Envoy sends them (ENVOY.md §2): headers with {@code raw_value}, the
 * ext_authz metadata forwarded on every message, bodies per chunk.
 */
public final class ExtProcStreams {
  private final Metadata metadata;

  /** With the ext_authz Struct forwarded (or none when null). */
  public ExtProcStreams(Struct authzMetadata) {
    this.metadata =
        authzMetadata == null
            ? Metadata.getDefaultInstance()
            : Metadata.newBuilder()
                .putFilterMetadata("envoy.filters.http.ext_authz", authzMetadata)
                .build();
  }

  static HeaderMap headers(Map<String, String> h) {
    HeaderMap.Builder b = HeaderMap.newBuilder();
    h.forEach(
        (k, v) ->
            b.addHeaders(
                HeaderValue.newBuilder().setKey(k).setRawValue(ByteString.copyFromUtf8(v))));
    return b.build();
  }

  public ProcessingRequest requestHeaders(String path, boolean endOfStream) {
    return ProcessingRequest.newBuilder()
        .setMetadataContext(metadata)
        .setRequestHeaders(
            HttpHeaders.newBuilder()
                .setHeaders(
                    headers(
                        Map.of(
                            ":method",
                            "POST",
                            ":path",
                            path,
                            ":authority",
                            "api.openai.com",
                            ":scheme",
                            "http",
                            "content-type",
                            "application/json")))
                .setEndOfStream(endOfStream))
        .build();
  }

  public ProcessingRequest requestBody(byte[] body) {
    return ProcessingRequest.newBuilder()
        .setMetadataContext(metadata)
        .setRequestBody(
            HttpBody.newBuilder().setBody(ByteString.copyFrom(body)).setEndOfStream(true))
        .build();
  }

  public ProcessingRequest responseHeaders(
      int status, String contentType, String contentEncoding, boolean eos) {
    java.util.LinkedHashMap<String, String> h = new java.util.LinkedHashMap<>();
    h.put(":status", Integer.toString(status));
    h.put("content-type", contentType);
    if (contentEncoding != null) {
      h.put("content-encoding", contentEncoding);
    }
    return ProcessingRequest.newBuilder()
        .setMetadataContext(metadata)
        .setResponseHeaders(HttpHeaders.newBuilder().setHeaders(headers(h)).setEndOfStream(eos))
        .build();
  }

  public ProcessingRequest responseBody(byte[] chunk, boolean endOfStream) {
    return ProcessingRequest.newBuilder()
        .setMetadataContext(metadata)
        .setResponseBody(
            HttpBody.newBuilder().setBody(ByteString.copyFrom(chunk)).setEndOfStream(endOfStream))
        .build();
  }
}
