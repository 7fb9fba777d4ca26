package dev.tollgate.admission;

import java.util.Map;

/**
 * What admission sees of one HTTP request.
 *
 * @param method HTTP method
 * @param path {@code :path}, query included
 * @param headers headers by lower-case name, duplicates joined with {@code ,}
 * @param body the body bytes Envoy sent (possibly cut short), or null when none
 * @param partial Envoy marked the body partial ({@code x-envoy-auth-partial-body: true})
 * @param jwtPayload the payload of a JWT verified by Envoy's jwt_authn filter, or an empty map
 */
public record AdmissionRequest(
    String method,
    String path,
    Map<String, String> headers,
    byte[] body,
    boolean partial,
    Map<String, Object> jwtPayload) {
  public AdmissionRequest {
    headers = Map.copyOf(headers);
    jwtPayload = jwtPayload == null ? Map.of() : jwtPayload;
  }

  /** A header by lower-case name, or null. */
  public String header(String name) {
    return headers.get(name);
  }
}
