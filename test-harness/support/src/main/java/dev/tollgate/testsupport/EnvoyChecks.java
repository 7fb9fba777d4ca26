package dev.tollgate.testsupport;

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
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Builds CheckRequests the way Envoy's ext_authz filter does for an HTTP/1.1 request (ENVOY.md §1),
 * for the server's tests and for the harness's Envoy emulator and load generator alike.
 *
 * <p>The header map holds the pseudo-headers first ({@code :authority}, {@code :method}, {@code
 * :path} with its query, {@code :scheme}), then the request's headers with lower-case names,
 * repeats joined with {@code ,}; a {@code host} header becomes {@code :authority}. A request with a
 * body and neither {@code content-length} nor {@code transfer-encoding} gets the {@code
 * content-length} a client sends. The body (when the filter buffers it, {@code max_request_bytes}
 * above 0, and the request has one) is cut to {@code max_request_bytes} and sent as {@code
 * raw_body} (pack_as_bytes) or {@code body}, with {@code x-envoy-auth-partial-body} replacing any
 * client copy. The stream id is numeric; the peers default to 127.0.0.1:40000 (downstream) and
 * 127.0.0.1:10000 (the listener).
 */
public final class EnvoyChecks {
  private static final AtomicLong STREAM_ID = new AtomicLong(1000);
  private static final String PARTIAL_BODY = "x-envoy-auth-partial-body";

  private final String method;
  private final String path;
  private final List<String[]> headers = new ArrayList<>();
  private String authority = "api.openai.com";
  private ByteString body;
  private boolean packAsBytes = true;
  private int maxRequestBytes = 8 * 1024 * 1024;
  private boolean rawHeaders;
  private long streamId = -1;
  private InetSocketAddress source = new InetSocketAddress(InetAddress.getLoopbackAddress(), 40000);
  private InetSocketAddress destination =
      new InetSocketAddress(InetAddress.getLoopbackAddress(), 10000);
  private final Map<String, Struct> metadata = new LinkedHashMap<>();

  private EnvoyChecks(String method, String path) {
    this.method = method;
    this.path = path;
  }

  /** A POST to {@code path}. */
  public static EnvoyChecks post(String path) {
    return new EnvoyChecks("POST", path);
  }

  /** Any method; {@code path} with its query. */
  public static EnvoyChecks request(String method, String path) {
    return new EnvoyChecks(method, path);
  }

  /** Adds a header as the client sent it (any case; repeated names allowed). */
  public EnvoyChecks header(String name, String value) {
    headers.add(new String[] {name, value});
    return this;
  }

  /** Adds {@code {name, value}} pairs as the client sent them, in arrival order. */
  public EnvoyChecks headers(List<String[]> nameValuePairs) {
    for (String[] h : nameValuePairs) {
      header(h[0], h[1]);
    }
    return this;
  }

  /** {@code :authority} when the request has no {@code host} header (default api.openai.com). */
  public EnvoyChecks authority(String authority) {
    this.authority = authority;
    return this;
  }

  /** {@code authorization: Bearer key}. */
  public EnvoyChecks bearer(String key) {
    return header("Authorization", "Bearer " + key);
  }

  /** A JSON body. */
  public EnvoyChecks json(String json) {
    this.body = ByteString.copyFromUtf8(json);
    return header("Content-Type", "application/json");
  }

  /** A body of raw bytes. */
  public EnvoyChecks body(byte[] bytes) {
    this.body = ByteString.copyFrom(bytes);
    return this;
  }

  /** A body of raw bytes. */
  public EnvoyChecks body(ByteString bytes) {
    this.body = bytes;
    return this;
  }

  /** Send the body in {@code body} (string) instead of {@code raw_body}. */
  public EnvoyChecks asStringBody() {
    return packAsBytes(false);
  }

  /** Envoy's {@code pack_as_bytes}: the body in {@code raw_body} (true) or {@code body} (false). */
  public EnvoyChecks packAsBytes(boolean packAsBytes) {
    this.packAsBytes = packAsBytes;
    return this;
  }

  /**
   * Envoy's {@code max_request_bytes} with {@code allow_partial_message: true}; 0 when the filter
   * has no {@code with_request_body} (no body in the Check).
   */
  public EnvoyChecks maxRequestBytes(int n) {
    this.maxRequestBytes = n;
    return this;
  }

  /** Send headers in {@code header_map} (Envoy's {@code encode_raw_headers: true}). */
  public EnvoyChecks rawHeaders() {
    this.rawHeaders = true;
    return this;
  }

  /** Envoy's stream id (default: the next of a process-wide counter). */
  public EnvoyChecks streamId(long id) {
    this.streamId = id;
    return this;
  }

  /** The downstream peer's address (default 127.0.0.1:40000). */
  public EnvoyChecks source(InetSocketAddress peer) {
    this.source = peer;
    return this;
  }

  /** The listener's address (default 127.0.0.1:10000). */
  public EnvoyChecks destination(InetSocketAddress listener) {
    this.destination = listener;
    return this;
  }

  /** Dynamic metadata from an earlier filter, e.g. jwt_authn's payload. */
  public EnvoyChecks metadata(String namespace, Struct value) {
    metadata.put(namespace, value);
    return this;
  }

  /**
   * The request's headers as Envoy's filters see them: the pseudo-headers first ({@code host}
   * becomes {@code :authority}, {@code ""} without one), then the rest in arrival order.
   */
  public static List<String[]> withPseudoHeaders(
      String method, String path, List<String[]> headers) {
    List<String[]> all = new ArrayList<>(headers.size() + 4);
    String host =
        headers.stream()
            .filter(h -> h[0].equalsIgnoreCase("host"))
            .map(h -> h[1])
            .findFirst()
            .orElse("");
    all.add(new String[] {":authority", host});
    all.add(new String[] {":method", method});
    all.add(new String[] {":path", path});
    all.add(new String[] {":scheme", "http"});
    for (String[] h : headers) {
      if (!h[0].equalsIgnoreCase("host")) {
        all.add(h);
      }
    }
    return all;
  }

  /** The CheckRequest Envoy would send. */
  public CheckRequest build() {
    // the client's headers, lower-case, without host (it is :authority) or a forged partial flag
    List<String[]> client = new ArrayList<>(headers.size());
    String host = null;
    for (String[] h : headers) {
      String name = h[0].toLowerCase(Locale.ROOT);
      if (name.equals("host")) {
        host = host == null ? h[1] : host;
      } else if (!name.equals(PARTIAL_BODY)) {
        client.add(new String[] {name, h[1]});
      }
    }
    String authorityValue = host != null ? host : authority;
    Map<String, String> added = new LinkedHashMap<>(); // what the client or Envoy adds
    int size = body == null ? 0 : body.size();
    if (size > 0
        && client.stream()
            .noneMatch(h -> h[0].equals("content-length") || h[0].equals("transfer-encoding"))) {
      added.put("content-length", Integer.toString(size));
    }
    ByteString sent = null;
    if (maxRequestBytes > 0 && size > 0) {
      boolean partial = size > maxRequestBytes;
      sent = partial ? body.substring(0, maxRequestBytes) : body;
      added.put(PARTIAL_BODY, Boolean.toString(partial));
    }

    Map<String, String> pseudo = new LinkedHashMap<>();
    pseudo.put(":authority", authorityValue);
    pseudo.put(":method", method);
    pseudo.put(":path", path);
    pseudo.put(":scheme", "http");

    AttributeContext.HttpRequest.Builder http =
        AttributeContext.HttpRequest.newBuilder()
            .setId(Long.toString(streamId >= 0 ? streamId : STREAM_ID.incrementAndGet()))
            .setMethod(method)
            .setPath(path)
            .setHost(authorityValue)
            .setScheme("http")
            .setProtocol("HTTP/1.1")
            .setSize(size);
    if (rawHeaders) {
      // encode_raw_headers: every header once per line, as received, in raw_value
      HeaderMap.Builder raw = HeaderMap.newBuilder();
      pseudo.forEach((k, v) -> raw.addHeaders(rawHeader(k, v)));
      added.forEach((k, v) -> raw.addHeaders(rawHeader(k, v)));
      for (String[] h : client) {
        raw.addHeaders(rawHeader(h[0], h[1]));
      }
      http.setHeaderMap(raw);
    } else {
      Map<String, String> merged = new LinkedHashMap<>(pseudo);
      for (String[] h : client) {
        merged.merge(h[0], h[1], (a, b) -> a + "," + b);
      }
      merged.putAll(added);
      http.putAllHeaders(merged);
    }
    if (sent != null) {
      if (packAsBytes) {
        http.setRawBody(sent);
      } else {
        // invalid UTF-8 becomes U+FFFD, as Envoy sanitizes
        http.setBody(sent.toString(StandardCharsets.UTF_8));
      }
    }
    long now = System.currentTimeMillis();
    AttributeContext.Builder attrs =
        AttributeContext.newBuilder()
            .setSource(AttributeContext.Peer.newBuilder().setAddress(address(source)))
            .setDestination(AttributeContext.Peer.newBuilder().setAddress(address(destination)))
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

  private static HeaderValue rawHeader(String name, String value) {
    return HeaderValue.newBuilder()
        .setKey(name)
        .setRawValue(ByteString.copyFrom(value, StandardCharsets.UTF_8))
        .build();
  }

  private static Address address(InetSocketAddress a) {
    return Address.newBuilder()
        .setSocketAddress(
            SocketAddress.newBuilder()
                .setAddress(a.getAddress().getHostAddress())
                .setPortValue(a.getPort()))
        .build();
  }
}
