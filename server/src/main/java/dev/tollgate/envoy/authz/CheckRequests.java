package dev.tollgate.envoy.authz;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.tollgate.admission.AdmissionRequest;
import dev.tollgate.envoy.Structs;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/** Translates Envoy's CheckRequest into an {@link AdmissionRequest}. */
public final class CheckRequests {
  /** Envoy's jwt_authn filter namespace in dynamic metadata. */
  public static final String JWT_AUTHN_NAMESPACE = "envoy.filters.http.jwt_authn";

  /** Header Envoy adds when the body was sent (true when cut at max_request_bytes). */
  public static final String PARTIAL_BODY_HEADER = "x-envoy-auth-partial-body";

  private CheckRequests() {}

  /** The admission view of a CheckRequest. */
  public static AdmissionRequest toAdmission(CheckRequest check) {
    AttributeContext.HttpRequest http = check.getAttributes().getRequest().getHttp();
    Map<String, String> headers = headers(http);
    String method =
        http.getMethod().isEmpty() ? headers.getOrDefault(":method", "") : http.getMethod();
    String path = http.getPath().isEmpty() ? headers.getOrDefault(":path", "") : http.getPath();
    byte[] body;
    if (!http.getRawBody().isEmpty()) {
      body = http.getRawBody().toByteArray();
    } else if (!http.getBody().isEmpty()) {
      body = http.getBody().getBytes(StandardCharsets.UTF_8);
    } else {
      body = null;
    }
    boolean partial = "true".equalsIgnoreCase(headers.get(PARTIAL_BODY_HEADER));
    return new AdmissionRequest(method, path, headers, body, partial, jwtPayload(check));
  }

  /**
   * Headers by lower-case name: from {@code headers}, or from {@code header_map} (raw headers,
   * Envoy's {@code encode_raw_headers}) with duplicates joined by {@code ,} as Envoy does.
   */
  static Map<String, String> headers(AttributeContext.HttpRequest http) {
    if (http.getHeaderMap().getHeadersCount() == 0) {
      Map<String, String> src = http.getHeadersMap();
      Map<String, String> out = new HashMap<>(src.size() * 2);
      src.forEach((k, v) -> out.put(k.toLowerCase(Locale.ROOT), v));
      return out;
    }
    Map<String, String> out = new HashMap<>();
    for (HeaderValue h : http.getHeaderMap().getHeadersList()) {
      String key = h.getKey().toLowerCase(Locale.ROOT);
      String value = h.getRawValue().isEmpty() ? h.getValue() : h.getRawValue().toStringUtf8();
      out.merge(key, value, (a, b) -> a + "," + b);
    }
    return out;
  }

  /** The first JWT payload Envoy's jwt_authn filter stored (any provider), or an empty map. */
  static Map<String, Object> jwtPayload(CheckRequest check) {
    Struct ns =
        check.getAttributes().getMetadataContext().getFilterMetadataMap().get(JWT_AUTHN_NAMESPACE);
    if (ns == null) {
      return Map.of();
    }
    for (Value v : ns.getFieldsMap().values()) {
      if (v.hasStructValue()) {
        return Structs.toMap(v.getStructValue());
      }
    }
    return Map.of();
  }
}
