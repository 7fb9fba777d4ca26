package dev.tollgate.harness.envoy;

import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
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
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Envoy's messages to an ext_authz / ext_proc server, shaped as ENVOY.md §1–2 describe, for the
 * emulator and the load generator alike. Headers are {@code {name, value}} pairs with lower-case
 * names, in arrival order, repeats allowed; {@code host} becomes {@code :authority}.
 */
public final class EnvoyMessages {
  /** The ext_authz filter's metadata namespace. */
  public static final String AUTHZ_NS = "envoy.filters.http.ext_authz";

  private EnvoyMessages() {}

  /** The request headers as Envoy's filters see them: the pseudo-headers first, then the rest. */
  public static List<String[]> withPseudoHeaders(
      String method, String path, List<String[]> headers) {
    List<String[]> all = new ArrayList<>(headers.size() + 4);
    String host =
        headers.stream().filter(h -> h[0].equals("host")).map(h -> h[1]).findFirst().orElse("");
    all.add(new String[] {":authority", host});
    all.add(new String[] {":method", method});
    all.add(new String[] {":path", path});
    all.add(new String[] {":scheme", "http"});
    for (String[] h : headers) {
      if (!h[0].equals("host")) {
        all.add(h);
      }
    }
    return all;
  }

  /**
   * The Check of an HTTP/1.1 request: every header including the pseudo-headers, repeats joined
   * with {@code ,}; the body (if the filter sends one and the request has one) cut to {@code
   * max_request_bytes}, as {@code raw_body} or {@code body}, with {@code x-envoy-auth-partial-body}
   * replacing any client copy. A body over the limit without {@code allow_partial_message} is a 413
   * the caller answers before any Check.
   *
   * @param streamId Envoy's stream id
   * @param peer the downstream address; {@code local} the listener's
   */
  public static CheckRequest check(
      EmulatorSettings settings,
      long streamId,
      String method,
      String path,
      List<String[]> headers,
      ByteString body,
      InetSocketAddress peer,
      InetSocketAddress local) {
    Map<String, String> merged = new LinkedHashMap<>();
    for (String[] h : withPseudoHeaders(method, path, headers)) {
      merged.merge(h[0], h[1], (a, b) -> a + "," + b);
    }
    merged.remove("x-envoy-auth-partial-body");
    AttributeContext.HttpRequest.Builder http =
        AttributeContext.HttpRequest.newBuilder()
            .setId(Long.toString(streamId))
            .setMethod(method)
            .setPath(path)
            .setHost(merged.get(":authority"))
            .setScheme("http")
            .setProtocol("HTTP/1.1")
            .setSize(body.size());
    if (settings.maxRequestBytes() > 0 && !body.isEmpty()) {
      boolean partial = body.size() > settings.maxRequestBytes();
      ByteString sent = partial ? body.substring(0, settings.maxRequestBytes()) : body;
      merged.put("x-envoy-auth-partial-body", Boolean.toString(partial));
      if (settings.packAsBytes()) {
        http.setRawBody(sent);
      } else {
        http.setBody(
            sent.toString(
                StandardCharsets.UTF_8)); // invalid UTF-8 becomes U+FFFD, as Envoy sanitizes
      }
    }
    http.putAllHeaders(merged);
    long ms = System.currentTimeMillis();
    return CheckRequest.newBuilder()
        .setAttributes(
            AttributeContext.newBuilder()
                .setSource(AttributeContext.Peer.newBuilder().setAddress(address(peer)))
                .setDestination(AttributeContext.Peer.newBuilder().setAddress(address(local)))
                .setRequest(
                    AttributeContext.Request.newBuilder()
                        .setTime(
                            Timestamp.newBuilder()
                                .setSeconds(ms / 1000)
                                .setNanos((int) (ms % 1000) * 1_000_000))
                        .setHttp(http)))
        .build();
  }

  /**
   * What every ProcessingRequest of a stream carries: ext_authz's dynamic metadata (with Envoy's
   * {@code ext_authz_duration}) if the filter forwards its namespace, else nothing.
   */
  public static Metadata forwarded(EmulatorSettings settings, Struct authz, long authzMillis) {
    if (authz == null
        || authz.getFieldsCount() == 0
        || !settings.forwardedNamespaces().contains(AUTHZ_NS)) {
      return Metadata.getDefaultInstance();
    }
    Struct withDuration =
        authz.toBuilder()
            .putFields("ext_authz_duration", Value.newBuilder().setNumberValue(authzMillis).build())
            .build();
    return Metadata.newBuilder().putFilterMetadata(AUTHZ_NS, withDuration).build();
  }

  /** {@code request_headers} or {@code response_headers} ({@code :status} among the headers). */
  public static ProcessingRequest headers(
      Metadata md, boolean response, List<String[]> headers, boolean endOfStream) {
    HttpHeaders h =
        HttpHeaders.newBuilder().setHeaders(headerMap(headers)).setEndOfStream(endOfStream).build();
    ProcessingRequest.Builder b = ProcessingRequest.newBuilder().setMetadataContext(md);
    return (response ? b.setResponseHeaders(h) : b.setRequestHeaders(h)).build();
  }

  /** {@code request_body} or {@code response_body}: one BUFFERED body, or one STREAMED chunk. */
  public static ProcessingRequest body(
      Metadata md, boolean response, ByteString data, boolean endOfStream) {
    HttpBody body = HttpBody.newBuilder().setBody(data).setEndOfStream(endOfStream).build();
    ProcessingRequest.Builder b = ProcessingRequest.newBuilder().setMetadataContext(md);
    return (response ? b.setResponseBody(body) : b.setRequestBody(body)).build();
  }

  /** Headers as ext_proc sends them: {@code raw_value} only. */
  public static HeaderMap headerMap(List<String[]> headers) {
    HeaderMap.Builder m = HeaderMap.newBuilder();
    for (String[] h : headers) {
      m.addHeaders(
          HeaderValue.newBuilder()
              .setKey(h[0])
              .setRawValue(ByteString.copyFrom(h[1], StandardCharsets.UTF_8)));
    }
    return m.build();
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
