package dev.tollgate.envoy.authz;

import dev.tollgate.admission.Admission;
import dev.tollgate.admission.AdmissionRequest;
import dev.tollgate.admission.AdmissionStats;
import dev.tollgate.admission.AuthzMetadata;
import dev.tollgate.admission.OpenAiError;
import dev.tollgate.admission.Reason;
import dev.tollgate.admission.Verdict;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code envoy.service.auth.v3.Authorization/Check}: translate, admit, translate back. Never blocks
 * the calling thread on the store; every outcome, failures included, is a CheckResponse (only a
 * cancelled call gets none).
 *
 * <p>Checks whose body is larger than a threshold are admitted on a separate, bounded executor:
 * counting a few megabytes takes far longer than a usual Check, and must not hold the threads every
 * other Check needs. When that executor's queue is full the Check is refused at once with 503
 * {@code large_request_busy} and {@code retry-after: 1}; a large Check whose caller has gone
 * (Envoy's timeout) is not counted at all.
 */
public final class AuthorizationService extends AuthorizationGrpc.AuthorizationImplBase {
  private static final Logger LOG = LoggerFactory.getLogger(AuthorizationService.class);
  private final Supplier<Admission> admission;
  private final Executor largeBodies;
  private final int largeBodyBytes;
  private final AdmissionStats stats;

  /** Admits every Check on the calling thread. */
  public AuthorizationService(Admission admission) {
    this(admission, null, Integer.MAX_VALUE, null);
  }

  /**
   * @param admission the admission rules
   * @param largeBodies a bounded executor for large bodies (rejecting when full), or null
   * @param largeBodyBytes bodies longer than this go to {@code largeBodies}
   * @param stats where refusals for a full executor are counted (the admission's), or null
   */
  public AuthorizationService(
      Admission admission, Executor largeBodies, int largeBodyBytes, AdmissionStats stats) {
    this(() -> admission, largeBodies, largeBodyBytes, stats);
  }

  /**
   * With admission rules that a reload replaces: each Check is decided, start to end, by the rules
   * in use when it arrived.
   *
   * @param admission the admission rules in use
   * @param largeBodies a bounded executor for large bodies (rejecting when full), or null
   * @param largeBodyBytes bodies longer than this go to {@code largeBodies}
   * @param stats where refusals for a full executor are counted (the admission's), or null
   */
  public AuthorizationService(
      Supplier<Admission> admission,
      Executor largeBodies,
      int largeBodyBytes,
      AdmissionStats stats) {
    this.admission = admission;
    this.largeBodies = largeBodies;
    this.largeBodyBytes = largeBodyBytes;
    this.stats = stats;
  }

  @Override
  public void check(CheckRequest request, StreamObserver<CheckResponse> responses) {
    AdmissionRequest a;
    try {
      a = CheckRequests.toAdmission(request);
    } catch (RuntimeException e) {
      LOG.warn("request.untranslatable: {}", e.toString());
      responses.onError(
          Status.INVALID_ARGUMENT.withDescription("malformed CheckRequest").asRuntimeException());
      return;
    }
    Admission admission = this.admission.get();
    CompletionStage<Verdict> decision =
        largeBodies != null && a.body() != null && a.body().length > largeBodyBytes
            ? admitLarge(admission, a, responses)
            : admission.admit(a);
    decision.whenComplete(
        (d, e) -> {
          if (cancelled(responses)) {
            // Envoy gave up (timeout, reset): it refuses the request, so its reservation is given
            // back
            admission.abandoned(d);
            return;
          }
          try {
            if (e != null) {
              responses.onError(
                  Status.INTERNAL.withDescription("admission failed").asRuntimeException());
            } else {
              responses.onNext(CheckResponses.from(d));
              responses.onCompleted();
            }
          } catch (IllegalStateException | io.grpc.StatusRuntimeException closed) {
            LOG.debug("check.closed: {}", closed.toString());
            admission.abandoned(d);
          }
        });
  }

  private CompletionStage<Verdict> admitLarge(
      Admission admission, AdmissionRequest a, StreamObserver<CheckResponse> responses) {
    CompletableFuture<Verdict> result = new CompletableFuture<>();
    try {
      largeBodies.execute(
          () -> {
            if (cancelled(responses)) {
              result.complete(busy());
              return;
            }
            admission
                .admit(a)
                .whenComplete(
                    (d, e) -> {
                      if (e != null) {
                        result.completeExceptionally(e);
                      } else {
                        result.complete(d);
                      }
                    });
          });
    } catch (RejectedExecutionException full) {
      LOG.debug("request.large_busy: body of {} bytes refused", a.body().length);
      Verdict busy = busy();
      if (stats != null) {
        stats.record(busy, 0);
      }
      result.complete(busy);
    }
    return result;
  }

  private static boolean cancelled(StreamObserver<CheckResponse> responses) {
    return responses instanceof ServerCallStreamObserver<CheckResponse> s && s.isCancelled();
  }

  private static Verdict busy() {
    return new Verdict.Deny(
        Reason.REQUEST_LARGE_BUSY,
        new OpenAiError(
            503,
            "Tollgate is busy counting other large requests; retry shortly or send a smaller request.",
            "server_error",
            null,
            "large_request_busy"),
        Map.of("retry-after", "1"),
        AuthzMetadata.EMPTY);
  }
}
