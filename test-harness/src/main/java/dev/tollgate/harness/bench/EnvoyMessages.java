package dev.tollgate.harness.bench;

import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import dev.tollgate.harness.envoy.EmulatorSettings;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Envoy's messages to Tollgate, shaped as ENVOY.md §1–2 describe for the filters in
 * {@code envoy/envoy-local.yaml}: the CheckRequest of an HTTP/1.1 POST (headers including
 * pseudo-headers, the body as {@code body} or {@code raw_body}, {@code x-envoy-auth-partial-body}),
 * and the ext_proc messages of one stream (headers with {@code raw_value}, bodies, the ext_authz
 * metadata forwarded in {@code metadata_context}).
 */
final class EnvoyMessages {
  static final String AUTHZ_NS = "envoy.filters.http.ext_authz";
  private static final Address PEER = address(43210);
  private static final Address LISTENER = address(10000);

  private final EmulatorSettings settings;
  private final String authority;

  EnvoyMessages(EmulatorSettings settings, String authority) {
    this.settings = settings;
    this.authority = authority;
  }

  EmulatorSettings settings() {
    return settings;
  }

  /** The Check for a POST of {@code body} to {@code path} with these (lower-case) headers. */
  CheckRequest check(long streamId, String path, Map<String, String> headers, ByteString body) {
    Map<String, String> all = new LinkedHashMap<>();
    all.put(":authority", authority);
    all.put(":method", "POST");
    all.put(":path", path);
    all.put(":scheme", "http");
    all.putAll(headers);
    all.put("content-length", Integer.toString(body.size()));
    AttributeContext.HttpRequest.Builder http = AttributeContext.HttpRequest.newBuilder()
        .setId(Long.toString(streamId)).setMethod("POST").setPath(path).setHost(authority).setScheme("http")
        .setProtocol("HTTP/1.1").setSize(body.size());
    if (settings.maxRequestBytes() > 0 && !body.isEmpty()) {
      boolean partial = body.size() > settings.maxRequestBytes();
      ByteString sent = partial ? body.substring(0, settings.maxRequestBytes()) : body;
      all.put("x-envoy-auth-partial-body", Boolean.toString(partial));
      if (settings.packAsBytes()) {
        http.setRawBody(sent);
      } else {
        http.setBodyBytes(sent); // the workload's bodies are valid UTF-8, as Envoy's sanitizing would leave them
      }
    }
    http.putAllHeaders(all);
    return CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
        .setSource(AttributeContext.Peer.newBuilder().setAddress(PEER))
        .setDestination(AttributeContext.Peer.newBuilder().setAddress(LISTENER))
        .setRequest(AttributeContext.Request.newBuilder().setTime(now()).setHttp(http))).build();
  }

  /** What every ProcessingRequest of a stream carries: ext_authz's dynamic metadata. */
  static Metadata forwarded(Struct authzMetadata, long authzMillis) {
    Struct withDuration = authzMetadata.toBuilder()
        .putFields("ext_authz_duration", Value.newBuilder().setNumberValue(authzMillis).build()).build();
    return Metadata.newBuilder().putFilterMetadata(AUTHZ_NS, withDuration).build();
  }

  ProcessingRequest requestHeaders(Metadata md, String path, Map<String, String> headers, boolean endOfStream) {
    Map<String, String> all = new LinkedHashMap<>();
    all.put(":authority", authority);
    all.put(":path", path);
    all.put(":method", "POST");
    all.put(":scheme", "http");
    all.putAll(headers);
    return ProcessingRequest.newBuilder().setMetadataContext(md).setRequestHeaders(
        HttpHeaders.newBuilder().setHeaders(headerMap(all)).setEndOfStream(endOfStream)).build();
  }

  static ProcessingRequest requestBody(Metadata md, ByteString body) {
    return ProcessingRequest.newBuilder().setMetadataContext(md)
        .setRequestBody(HttpBody.newBuilder().setBody(body).setEndOfStream(true)).build();
  }

  static ProcessingRequest responseHeaders(Metadata md, int status, String contentType) {
    Map<String, String> all = new LinkedHashMap<>();
    all.put(":status", Integer.toString(status));
    all.put("content-type", contentType);
    all.put("x-request-id", "bench");
    return ProcessingRequest.newBuilder().setMetadataContext(md).setResponseHeaders(
        HttpHeaders.newBuilder().setHeaders(headerMap(all)).setEndOfStream(false)).build();
  }

  static ProcessingRequest responseBody(Metadata md, ByteString chunk, boolean endOfStream) {
    return ProcessingRequest.newBuilder().setMetadataContext(md)
        .setResponseBody(HttpBody.newBuilder().setBody(chunk).setEndOfStream(endOfStream)).build();
  }

  private static HeaderMap headerMap(Map<String, String> headers) {
    HeaderMap.Builder m = HeaderMap.newBuilder();
    headers.forEach((k, v) -> m.addHeaders(HeaderValue.newBuilder().setKey(k)
        .setRawValue(ByteString.copyFrom(v, StandardCharsets.UTF_8))));
    return m.build();
  }

  private static Address address(int port) {
    return Address.newBuilder().setSocketAddress(SocketAddress.newBuilder().setAddress("127.0.0.1").setPortValue(port))
        .build();
  }

  private static Timestamp now() {
    long ms = System.currentTimeMillis();
    return Timestamp.newBuilder().setSeconds(ms / 1000).setNanos((int) (ms % 1000) * 1_000_000).build();
  }
}
