package dev.tollgate.harness.envoy;

import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.tollgate.testsupport.EnvoyChecks;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Envoy's messages to an ext_authz / ext_proc server, shaped as ENVOY.md §1–2 describe, for the
 * emulator and the load generator alike. Headers are {@code {name, value}} pairs with lower-case
 * names, in arrival order, repeats allowed; {@code host} becomes {@code :authority}.
 */
public final class EnvoyMessages {
  /** The ext_authz filter's metadata namespace. */
  public static final String AUTHZ_NS = "envoy.filters.http.ext_authz";

  private EnvoyMessages() {}

  /**
   * The Check of an HTTP/1.1 request as the emulator's ext_authz filter sends it ({@link
   * EnvoyChecks}, with the filter's {@code max_request_bytes} and {@code pack_as_bytes}). A body
   * over the limit without {@code allow_partial_message} is a 413 the caller answers before any
   * Check.
   *
   * @param streamId Envoy's stream id
   * @param headers {@code {name, value}} pairs, lower-case names, in arrival order
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
    return EnvoyChecks.request(method, path)
        .authority("")
        .headers(headers)
        .body(body)
        .maxRequestBytes(settings.maxRequestBytes())
        .packAsBytes(settings.packAsBytes())
        .streamId(streamId)
        .source(peer)
        .destination(local)
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
}
