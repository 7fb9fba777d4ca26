package dev.tollgate.envoy.authz;

import com.google.protobuf.BoolValue;
import com.google.rpc.Code;
import com.google.rpc.Status;
import dev.tollgate.admission.Verdict;
import dev.tollgate.envoy.AuthzMetadataCodec;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.envoyproxy.envoy.service.auth.v3.DeniedHttpResponse;
import io.envoyproxy.envoy.service.auth.v3.OkHttpResponse;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import io.envoyproxy.envoy.type.v3.StatusCode;

/** Translates a {@link Verdict} into Envoy's CheckResponse. */
public final class CheckResponses {
  private CheckResponses() {}

  /** The CheckResponse for a decision. */
  public static CheckResponse from(Verdict decision) {
    if (decision instanceof Verdict.Allow allow) {
      return allow(allow);
    }
    return deny((Verdict.Deny) decision);
  }

  static CheckResponse allow(Verdict.Allow allow) {
    OkHttpResponse.Builder ok = OkHttpResponse.newBuilder();
    if (allow.upstreamApiKey() != null) {
      ok.addHeaders(overwrite("authorization", "Bearer " + allow.upstreamApiKey()));
    }
    ok.addAllHeadersToRemove(allow.headersToRemove());
    allow.responseHeaders().forEach((k, v) -> ok.addResponseHeadersToAdd(overwrite(k, v)));
    CheckResponse.Builder b =
        CheckResponse.newBuilder()
            .setStatus(Status.newBuilder().setCode(Code.OK_VALUE))
            .setOkResponse(ok);
    if (!allow.metadata().isEmpty()) {
      b.setDynamicMetadata(AuthzMetadataCodec.toStruct(allow.metadata()));
    }
    return b.build();
  }

  static CheckResponse deny(Verdict.Deny deny) {
    int status = deny.error().status();
    StatusCode code = StatusCode.forNumber(status);
    DeniedHttpResponse.Builder denied =
        DeniedHttpResponse.newBuilder()
            .setStatus(HttpStatus.newBuilder().setCode(code == null ? StatusCode.Forbidden : code))
            .addHeaders(overwrite("content-type", "application/json"))
            .setBody(deny.error().toJson());
    deny.headers().forEach((k, v) -> denied.addHeaders(overwrite(k, v)));
    CheckResponse.Builder b =
        CheckResponse.newBuilder()
            .setStatus(
                Status.newBuilder().setCode(grpcCode(status)).setMessage(deny.reason().code()))
            .setDeniedResponse(denied);
    if (!deny.metadata().isEmpty()) {
      b.setDynamicMetadata(AuthzMetadataCodec.toStruct(deny.metadata()));
    }
    return b.build();
  }

  /**
   * A header set with {@code append: false}: overwrite on every Envoy version. {@code append} is
   * deprecated in favour of {@code append_action}, but Envoy up to ~1.35 reads only {@code append},
   * and newer ones still honour an explicit value (ENVOY.md §1).
   */
  @SuppressWarnings("deprecation")
  static HeaderValueOption overwrite(String key, String value) {
    return HeaderValueOption.newBuilder()
        .setHeader(HeaderValue.newBuilder().setKey(key).setValue(value))
        .setAppend(BoolValue.of(false))
        .build();
  }

  private static int grpcCode(int httpStatus) {
    return switch (httpStatus) {
      case 400 -> Code.INVALID_ARGUMENT_VALUE;
      case 401 -> Code.UNAUTHENTICATED_VALUE;
      case 404 -> Code.NOT_FOUND_VALUE;
      case 429 -> Code.RESOURCE_EXHAUSTED_VALUE;
      case 503 -> Code.UNAVAILABLE_VALUE;
      case 500 -> Code.INTERNAL_VALUE;
      default -> Code.PERMISSION_DENIED_VALUE;
    };
  }
}
