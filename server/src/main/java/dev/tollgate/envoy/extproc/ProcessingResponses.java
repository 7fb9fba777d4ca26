package dev.tollgate.envoy.extproc;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.HeadersResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.TrailersResponse;

/** Small translations between Envoy's ext_proc messages and plain values. */
final class ProcessingResponses {
  private ProcessingResponses() {}

  /** The reply that changes nothing, of the kind the message needs; null for an unknown kind. */
  static ProcessingResponse passThrough(ProcessingRequest req) {
    ProcessingResponse.Builder b = ProcessingResponse.newBuilder();
    switch (req.getRequestCase()) {
      case REQUEST_HEADERS -> b.setRequestHeaders(HeadersResponse.getDefaultInstance());
      case REQUEST_BODY -> b.setRequestBody(BodyResponse.getDefaultInstance());
      case REQUEST_TRAILERS -> b.setRequestTrailers(TrailersResponse.getDefaultInstance());
      case RESPONSE_HEADERS -> b.setResponseHeaders(HeadersResponse.getDefaultInstance());
      case RESPONSE_BODY -> b.setResponseBody(BodyResponse.getDefaultInstance());
      case RESPONSE_TRAILERS -> b.setResponseTrailers(TrailersResponse.getDefaultInstance());
      default -> {
        return null;
      }
    }
    return b.build();
  }

  /** A header mutation that Envoy applies: {@code raw_value} only, overwrite. */
  @SuppressWarnings("deprecation")
  static HeaderValueOption rawHeader(String key, String value) {
    return HeaderValueOption.newBuilder()
        .setHeader(HeaderValue.newBuilder().setKey(key).setRawValue(ByteString.copyFromUtf8(value)))
        .setAppend(com.google.protobuf.BoolValue.of(false))
        .build();
  }

  /** A header's value ({@code raw_value}, else {@code value}) by case-insensitive name, or null. */
  static String header(HttpHeaders h, String name) {
    for (HeaderValue v : h.getHeaders().getHeadersList()) {
      if (v.getKey().equalsIgnoreCase(name)) {
        return v.getRawValue().isEmpty() ? v.getValue() : v.getRawValue().toStringUtf8();
      }
    }
    return null;
  }
}
