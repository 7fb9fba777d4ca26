package dev.tollgate.admin;

import dev.tollgate.admin.v1.GetUsageRequest;
import dev.tollgate.admin.v1.GetUsageResponse;
import dev.tollgate.admin.v1.QuotaAdminGrpc;
import dev.tollgate.admin.v1.ResetUsageRequest;
import dev.tollgate.admin.v1.ResetUsageResponse;
import dev.tollgate.admin.v1.WindowUsage;
import dev.tollgate.auth.IdentityResolver;
import dev.tollgate.auth.InvalidIdentityException;
import dev.tollgate.auth.ServiceKeys;
import dev.tollgate.config.Role;
import dev.tollgate.config.ServiceKeyConfig;
import dev.tollgate.config.TierConfig;
import dev.tollgate.config.TollgateConfig;
import dev.tollgate.quota.Money;
import dev.tollgate.quota.QuotaService;
import dev.tollgate.quota.QuotaTarget;
import dev.tollgate.quota.Scope;
import dev.tollgate.quota.Unit;
import dev.tollgate.quota.WindowStatus;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.Optional;

/**
 * {@code tollgate.admin.v1.QuotaAdmin}: inspect and reset usage. Every call needs {@code
 * authorization: Bearer <key>} of a service key with role {@code admin}; bad input is a gRPC status
 * (INVALID_ARGUMENT, UNAUTHENTICATED, PERMISSION_DENIED, UNAVAILABLE), never a crash.
 */
public final class AdminService extends QuotaAdminGrpc.QuotaAdminImplBase {
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final TollgateConfig config;
  private final QuotaService quotas;

  private AdminService(TollgateConfig config, QuotaService quotas) {
    this.config = config;
    this.quotas = quotas;
  }

  /** The service with its admin-key check. */
  public static ServerServiceDefinition create(TollgateConfig config, QuotaService quotas) {
    ServiceKeys keys = new ServiceKeys(config.keys());
    return ServerInterceptors.intercept(
        new AdminService(config, quotas),
        new ServerInterceptor() {
          @Override
          public <Q, R> ServerCall.Listener<Q> interceptCall(
              ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            Status denied = authorize(keys, headers.get(AUTHORIZATION));
            if (!denied.isOk()) {
              call.close(denied, new Metadata());
              return new ServerCall.Listener<>() {};
            }
            return Contexts.interceptCall(Context.current(), call, headers, next);
          }
        });
  }

  /**
   * The admin-key check of every admin call, gRPC or JSON over HTTP: {@code OK} for {@code Bearer
   * <key>} of a key with role admin, else UNAUTHENTICATED (no or an unknown key) or
   * PERMISSION_DENIED (a key without role admin).
   */
  public static Status authorize(ServiceKeys keys, String authorization) {
    Optional<ServiceKeyConfig> key = keys.authenticate(authorization);
    if (key.isEmpty()) {
      return Status.UNAUTHENTICATED.withDescription(
          "admin calls need authorization: Bearer <admin key>");
    }
    if (key.get().role() != Role.ADMIN) {
      return Status.PERMISSION_DENIED.withDescription(
          "key '" + key.get().name() + "' is not an admin key");
    }
    return Status.OK;
  }

  @Override
  public void getUsage(GetUsageRequest request, StreamObserver<GetUsageResponse> out) {
    Scope scope = scope(request.getScope(), out);
    if (scope == null || !validId(scope, request.getId(), out)) {
      return;
    }
    TierConfig tier =
        config.tiers().get(request.getTier().isEmpty() ? "default" : request.getTier());
    if (tier == null) {
      out.onError(
          Status.INVALID_ARGUMENT
              .withDescription(
                  "tier: '"
                      + request.getTier()
                      + "' (expected: one of "
                      + config.tiers().keySet()
                      + ")")
              .asRuntimeException());
      return;
    }
    String key = QuotaTarget.keyOf(scope, request.getId());
    quotas
        .status(key, tier.limitsFor(scope))
        .whenComplete(
            (windows, e) -> {
              if (e != null) {
                out.onError(
                    Status.UNAVAILABLE
                        .withDescription("quota store unavailable")
                        .asRuntimeException());
                return;
              }
              GetUsageResponse.Builder b = GetUsageResponse.newBuilder().setQuotaKey(key);
              for (WindowStatus w : windows) {
                boolean usd = w.limit().unit() == Unit.NANO_USD;
                b.addWindows(
                    WindowUsage.newBuilder()
                        .setWindow(w.limit().window().name())
                        .setUnit(usd ? "usd" : "tokens")
                        .setLimit(
                            usd ? Money.toUsd(w.limit().max()).doubleValue() : w.limit().max())
                        .setUsed(usd ? Money.toUsd(w.used()).doubleValue() : w.used())
                        .setRemaining(
                            usd ? Money.toUsd(w.remaining()).doubleValue() : w.remaining())
                        .setResetSeconds(w.resetIn().toSeconds()));
              }
              out.onNext(b.build());
              out.onCompleted();
            });
  }

  @Override
  public void resetUsage(ResetUsageRequest request, StreamObserver<ResetUsageResponse> out) {
    Scope scope = scope(request.getScope(), out);
    if (scope == null || !validId(scope, request.getId(), out)) {
      return;
    }
    String key = QuotaTarget.keyOf(scope, request.getId());
    quotas
        .reset(key)
        .whenComplete(
            (v, e) -> {
              if (e != null) {
                out.onError(
                    Status.UNAVAILABLE
                        .withDescription("quota store unavailable")
                        .asRuntimeException());
                return;
              }
              out.onNext(ResetUsageResponse.newBuilder().setQuotaKey(key).build());
              out.onCompleted();
            });
  }

  private static Scope scope(dev.tollgate.admin.v1.Scope s, StreamObserver<?> out) {
    Scope scope =
        switch (s) {
          case USER -> Scope.USER;
          case CONVERSATION -> Scope.CONVERSATION;
          case KEY -> Scope.KEY;
          case GLOBAL -> Scope.GLOBAL;
          default -> null;
        };
    if (scope == null) {
      out.onError(
          Status.INVALID_ARGUMENT
              .withDescription("scope: " + s + " (expected: USER, CONVERSATION, KEY or GLOBAL)")
              .asRuntimeException());
    }
    return scope;
  }

  private static boolean validId(Scope scope, String id, StreamObserver<?> out) {
    if (scope == Scope.GLOBAL) {
      return true;
    }
    if (id.isEmpty()) {
      out.onError(
          Status.INVALID_ARGUMENT
              .withDescription("id: empty (expected: the " + scope.configName() + " id)")
              .asRuntimeException());
      return false;
    }
    try {
      IdentityResolver.check("id", id);
      return true;
    } catch (InvalidIdentityException e) {
      out.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
      return false;
    }
  }
}
