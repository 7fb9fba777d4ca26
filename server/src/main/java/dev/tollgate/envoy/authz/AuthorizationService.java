package dev.tollgate.envoy.authz;

import dev.tollgate.admission.Admission;
import dev.tollgate.admission.AdmissionRequest;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code envoy.service.auth.v3.Authorization/Check}: translate, admit, translate back. Never
 * blocks the calling thread on the store; every outcome, failures included, is a
 * CheckResponse (only a cancelled call gets none).
 */
public final class AuthorizationService extends AuthorizationGrpc.AuthorizationImplBase {
  private static final Logger LOG = LoggerFactory.getLogger(AuthorizationService.class);
  private final Admission admission;

  public AuthorizationService(Admission admission) {
    this.admission = admission;
  }

  @Override
  public void check(CheckRequest request, StreamObserver<CheckResponse> responses) {
    AdmissionRequest a;
    try {
      a = CheckRequests.toAdmission(request);
    } catch (RuntimeException e) {
      LOG.warn("request.untranslatable: {}", e.toString());
      responses.onError(Status.INVALID_ARGUMENT.withDescription("malformed CheckRequest").asRuntimeException());
      return;
    }
    admission.admit(a).whenComplete((decision, e) -> {
      if (responses instanceof ServerCallStreamObserver<CheckResponse> s && s.isCancelled()) {
        // Envoy gave up (timeout, reset): it refuses the request, so its reservation is given back
        admission.abandoned(decision);
        return;
      }
      try {
        if (e != null) {
          responses.onError(Status.INTERNAL.withDescription("admission failed").asRuntimeException());
        } else {
          responses.onNext(CheckResponses.from(decision));
          responses.onCompleted();
        }
      } catch (IllegalStateException | io.grpc.StatusRuntimeException closed) {
        LOG.debug("check.closed: {}", closed.toString());
        admission.abandoned(decision);
      }
    });
  }
}
