package dev.tollgate.envoy;

import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Builds CheckRequests the way Envoy's ext_authz filter does (ENVOY.md §1): pseudo-headers in the
 * header map, lower-case keys, duplicates joined with {@code ,}, the path with its query, a numeric
 * stream id, the body in {@code raw_body} (pack_as_bytes) or {@code body}, and {@code
 * x-envoy-auth-partial-body}.
 */
public final class EnvoyChecks {
  private static final AtomicLong STREAM_ID = new AtomicLong(1000);

  private final String method;
  private final String path;
  private final List<String[]> headers = new ArrayList<>();
  private byte[] body;
  private boolean packAsBytes = true;
  private int maxRequestBytes = 8 * 1024 * 1024;
  private boolean rawHeaders;
  private final Map<String, Struct> metadata = new LinkedHashMap<>();

  private EnvoyChecks(String method, String path) {
    this.method = method;
    this.path = path;
  }

  /** A POST to {@code path}. */
  public static EnvoyChecks post(String path) {
    return new EnvoyChecks("POST", path);
  }

  /** Any method. */
  public static EnvoyChecks request(String method, String path) {
    return new EnvoyChecks(method, path);
  }

  /** Adds a header as the client sent it (any case; repeated names allowed). */
  public EnvoyChecks header(String name, String value) {
    headers.add(new String[] {name, value});
    return this;
  }

  /** {@code authorization: Bearer key}. */
  public EnvoyChecks bearer(String key) {
    return header("Authorization", "Bearer " + key);
  }

  /** A JSON body. */
  public EnvoyChecks json(String json) {
    this.body = json.getBytes(StandardCharsets.UTF_8);
    return header("Content-Type", "application/json");
  }

  /** A body of raw bytes. */
  public EnvoyChecks body(byte[] bytes) {
    this.body = bytes;
    return this;
  }

  /** Send the body in {@code body} (string) instead of {@code raw_body}. */
  public EnvoyChecks asStringBody() {
    this.packAsBytes = false;
    return this;
  }

  /** Envoy's {@code max_request_bytes} with {@code allow_partial_message: true}. */
  public EnvoyChecks maxRequestBytes(int n) {
    this.maxRequestBytes = n;
    return this;
  }

  /** Send headers in {@code header_map} (Envoy's {@code encode_raw_headers: true}). */
  public EnvoyChecks rawHeaders() {
    this.rawHeaders = true;
    return this;
  }

  /** Dynamic metadata from an earlier filter, e.g. jwt_authn's payload. */
  public EnvoyChecks metadata(String namespace, Struct value) {
    metadata.put(namespace, value);
    return this;
  }

  /** The CheckRequest Envoy would send. */
  public CheckRequest build() {
    Map<String, String> merged = new LinkedHashMap<>();
    HeaderMap.Builder raw = HeaderMap.newBuilder();
    merged.put(":authority", "api.openai.com");
    merged.put(":method", method);
    merged.put(":path", path);
    merged.put(":scheme", "http");
    for (String[] h : headers) {
      merged.merge(h[0].toLowerCase(java.util.Locale.ROOT), h[1], (a, b) -> a + "," + b);
    }
    byte[] sent = body;
    boolean partial = false;
    if (body != null) {
      if (body.length > maxRequestBytes) {
        sent = java.util.Arrays.copyOf(body, maxRequestBytes);
        partial = true;
      }
      merged.put("x-envoy-auth-partial-body", Boolean.toString(partial));
      merged.put("content-length", Integer.toString(body.length));
    }
    AttributeContext.HttpRequest.Builder http =
        AttributeContext.HttpRequest.newBuilder()
            .setId(Long.toString(STREAM_ID.incrementAndGet()))
            .setMethod(method)
            .setPath(path)
            .setHost("api.openai.com")
            .setScheme("http")
            .setProtocol("HTTP/1.1")
            .setSize(body == null ? 0 : body.length);
    if (rawHeaders) {
      merged.put(":authority", "api.openai.com");
      for (Map.Entry<String, String> e : merged.entrySet()) {
        if (!e.getKey().startsWith(":")
            && headers.stream().anyMatch(h -> h[0].equalsIgnoreCase(e.getKey()))) {
          continue;
        }
        raw.addHeaders(
            HeaderValue.newBuilder()
                .setKey(e.getKey())
                .setRawValue(ByteString.copyFromUtf8(e.getValue())));
      }
      for (String[] h : headers) {
        raw.addHeaders(
            HeaderValue.newBuilder()
                .setKey(h[0].toLowerCase(java.util.Locale.ROOT))
                .setRawValue(ByteString.copyFromUtf8(h[1])));
      }
      http.setHeaderMap(raw);
    } else {
      http.putAllHeaders(merged);
    }
    if (sent != null) {
      if (packAsBytes) {
        http.setRawBody(ByteString.copyFrom(sent));
      } else {
        http.setBody(new String(sent, StandardCharsets.UTF_8));
      }
    }
    long now = System.currentTimeMillis();
    AttributeContext.Builder attrs =
        AttributeContext.newBuilder()
            .setSource(
                AttributeContext.Peer.newBuilder()
                    .setAddress(
                        Address.newBuilder()
                            .setSocketAddress(
                                SocketAddress.newBuilder()
                                    .setAddress("127.0.0.1")
                                    .setPortValue(40000))))
            .setDestination(
                AttributeContext.Peer.newBuilder()
                    .setAddress(
                        Address.newBuilder()
                            .setSocketAddress(
                                SocketAddress.newBuilder()
                                    .setAddress("127.0.0.1")
                                    .setPortValue(10000))))
            .setRequest(
                AttributeContext.Request.newBuilder()
                    .setTime(
                        Timestamp.newBuilder()
                            .setSeconds(now / 1000)
                            .setNanos((int) (now % 1000) * 1_000_000))
                    .setHttp(http));
    if (!metadata.isEmpty()) {
      attrs.setMetadataContext(Metadata.newBuilder().putAllFilterMetadata(metadata));
    }
    return CheckRequest.newBuilder().setAttributes(attrs).build();
  }
}
