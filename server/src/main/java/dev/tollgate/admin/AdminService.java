package dev.tollgate.admin;

import dev.tollgate.admin.v1.AdviseLimitsRequest;
import dev.tollgate.admin.v1.AdviseLimitsResponse;
import dev.tollgate.admin.v1.ClearOverrideRequest;
import dev.tollgate.admin.v1.ClearOverrideResponse;
import dev.tollgate.admin.v1.DayTotal;
import dev.tollgate.admin.v1.Distribution;
import dev.tollgate.admin.v1.GetUsageRequest;
import dev.tollgate.admin.v1.GetUsageResponse;
import dev.tollgate.admin.v1.HistogramBin;
import dev.tollgate.admin.v1.LimitAdvice;
import dev.tollgate.admin.v1.LimitRefusals;
import dev.tollgate.admin.v1.LimitValue;
import dev.tollgate.admin.v1.ListOverridesRequest;
import dev.tollgate.admin.v1.ListOverridesResponse;
import dev.tollgate.admin.v1.ModelTotal;
import dev.tollgate.admin.v1.QuotaAdminGrpc;
import dev.tollgate.admin.v1.ResetUsageRequest;
import dev.tollgate.admin.v1.ResetUsageResponse;
import dev.tollgate.admin.v1.SetOverrideRequest;
import dev.tollgate.admin.v1.SetOverrideResponse;
import dev.tollgate.admin.v1.TierLimit;
import dev.tollgate.admin.v1.TopUsersRequest;
import dev.tollgate.admin.v1.TopUsersResponse;
import dev.tollgate.admin.v1.UsageReportRequest;
import dev.tollgate.admin.v1.UsageReportResponse;
import dev.tollgate.admin.v1.UserTotal;
import dev.tollgate.admin.v1.WindowUsage;
import dev.tollgate.analytics.Analytics;
import dev.tollgate.analytics.LedgerUnavailableException;
import dev.tollgate.analytics.Period;
import dev.tollgate.analytics.TopBy;
import dev.tollgate.analytics.UsageReport;
import dev.tollgate.auth.IdentityResolver;
import dev.tollgate.auth.InvalidIdentityException;
import dev.tollgate.auth.ServiceKeys;
import dev.tollgate.config.LiveConfig;
import dev.tollgate.config.Role;
import dev.tollgate.config.ServiceKeyConfig;
import dev.tollgate.config.TierConfig;
import dev.tollgate.config.TollgateConfig;
import dev.tollgate.quota.InMemoryOverrides;
import dev.tollgate.quota.Limit;
import dev.tollgate.quota.LimitOverride;
import dev.tollgate.quota.Money;
import dev.tollgate.quota.Overrides;
import dev.tollgate.quota.QuotaService;
import dev.tollgate.quota.QuotaTarget;
import dev.tollgate.quota.Scope;
import dev.tollgate.quota.Unit;
import dev.tollgate.quota.Window;
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
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code tollgate.admin.v1.QuotaAdmin}: inspect and reset usage; report on the usage ledger ({@link
 * Analytics}); set, clear and list per-user and per-key limit overrides. Every call needs {@code
 * authorization: Bearer <key>} of a service key with role {@code admin}; bad input is a gRPC status
 * (INVALID_ARGUMENT, UNAUTHENTICATED, PERMISSION_DENIED, UNAVAILABLE), never a crash.
 */
public final class AdminService extends QuotaAdminGrpc.QuotaAdminImplBase {
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private static final Logger LOG = LoggerFactory.getLogger(AdminService.class);

  private final Supplier<TollgateConfig> config;
  private final QuotaService quotas;
  private final Overrides overrides;
  private final Supplier<Analytics> analytics;

  private AdminService(
      Supplier<TollgateConfig> config,
      QuotaService quotas,
      Overrides overrides,
      Supplier<Analytics> analytics) {
    this.config = config;
    this.quotas = quotas;
    this.overrides = overrides;
    this.analytics = analytics;
  }

  /**
   * The service with its admin-key check, with overrides held in this process and without analytics
   * (they answer UNIMPLEMENTED).
   */
  public static ServerServiceDefinition create(TollgateConfig config, QuotaService quotas) {
    return create(config, quotas, new InMemoryOverrides(), null);
  }

  /** The service with its admin-key check, without analytics (they answer UNIMPLEMENTED). */
  public static ServerServiceDefinition create(
      TollgateConfig config, QuotaService quotas, Overrides overrides) {
    return create(config, quotas, overrides, null);
  }

  /**
   * The service with its admin-key check.
   *
   * @param overrides per-user and per-key limit overrides
   * @param analytics the usage ledger's analytics, or null
   */
  public static ServerServiceDefinition create(
      TollgateConfig config, QuotaService quotas, Overrides overrides, Analytics analytics) {
    LiveConfig live = LiveConfig.of(config);
    return create(
        live, quotas, overrides, live.derive(c -> java.util.Optional.ofNullable(analytics)));
  }

  /**
   * The service with its admin-key check, on a configuration that a reload replaces: each call is
   * checked and answered with the keys and tiers in use when it arrived.
   *
   * @param overrides per-user and per-key limit overrides
   * @param analytics the usage ledger's analytics for the configuration in use (empty: none)
   */
  public static ServerServiceDefinition create(
      LiveConfig live,
      QuotaService quotas,
      Overrides overrides,
      Supplier<java.util.Optional<Analytics>> analytics) {
    Supplier<ServiceKeys> keySet = live.derive(c -> new ServiceKeys(c.keys()));
    return ServerInterceptors.intercept(
        new AdminService(live, quotas, overrides, () -> analytics.get().orElse(null)),
        new ServerInterceptor() {
          @Override
          public <Q, R> ServerCall.Listener<Q> interceptCall(
              ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            Status denied = authorize(keySet.get(), headers.get(AUTHORIZATION));
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
    TollgateConfig config = this.config.get();
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
    Optional<LimitOverride> override =
        LimitOverride.overridable(scope) ? overrides.get(scope, request.getId()) : Optional.empty();
    quotas
        .status(key, override.map(LimitOverride::limits).orElseGet(() -> tier.limitsFor(scope)))
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
              override.ifPresent(o -> b.setOverride(toProto(o)));
              for (WindowStatus w : windows) {
                boolean usd = w.limit().unit() == Unit.NANO_USD;
                b.addWindows(
                    WindowUsage.newBuilder()
                        .setWindow(w.limit().window().name())
                        .setUnit(w.limit().unit().configName())
                        .setLimit(
                            usd ? Money.toUsd(w.limit().max()).doubleValue() : w.limit().max())
                        .setUsed(usd ? Money.toUsd(w.used()).doubleValue() : w.used())
                        .setRemaining(
                            usd ? Money.toUsd(w.remaining()).doubleValue() : w.remaining())
                        .setResetSeconds(w.resetIn().toSeconds())
                        .setMode(w.limit().shadow() ? "shadow" : "enforce"));
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

  // ---- overrides ------------------------------------------------------------------------------

  @Override
  public void setOverride(SetOverrideRequest request, StreamObserver<SetOverrideResponse> out) {
    Scope scope = overrideScope(request.getScope(), out);
    if (scope == null || !validOverrideId(scope, request.getId(), out)) {
      return;
    }
    TollgateConfig config = this.config.get();
    if (scope == Scope.KEY
        && config.keys().stream().noneMatch(k -> k.name().equals(request.getId()))) {
      out.onError(
          Status.INVALID_ARGUMENT
              .withDescription(
                  "id: '"
                      + request.getId()
                      + "' is not a configured service key (expected: one of "
                      + config.keys().stream().map(ServiceKeyConfig::name).distinct().toList()
                      + ")")
              .asRuntimeException());
      return;
    }
    LimitOverride override;
    try {
      override =
          new LimitOverride(
              scope, request.getId(), limits(request.getLimitsList()), System.currentTimeMillis());
    } catch (IllegalArgumentException e) {
      out.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
      return;
    }
    try {
      overrides.set(override);
    } catch (RuntimeException e) {
      LOG.warn("admin.override_failed: cannot set {} {}: {}", scope, request.getId(), e.toString());
      out.onError(
          Status.UNAVAILABLE.withDescription("override store unavailable").asRuntimeException());
      return;
    }
    LOG.info(
        "admin.override_set: {} '{}' ({} limit(s))",
        scope.configName(),
        override.id(),
        override.limits().size());
    out.onNext(SetOverrideResponse.newBuilder().setOverride(toProto(override)).build());
    out.onCompleted();
  }

  @Override
  public void clearOverride(
      ClearOverrideRequest request, StreamObserver<ClearOverrideResponse> out) {
    Scope scope = overrideScope(request.getScope(), out);
    if (scope == null || !validOverrideId(scope, request.getId(), out)) {
      return;
    }
    boolean cleared;
    try {
      cleared = overrides.clear(scope, request.getId());
    } catch (RuntimeException e) {
      LOG.warn(
          "admin.override_failed: cannot clear {} {}: {}", scope, request.getId(), e.toString());
      out.onError(
          Status.UNAVAILABLE.withDescription("override store unavailable").asRuntimeException());
      return;
    }
    if (cleared) {
      LOG.info("admin.override_cleared: {} '{}'", scope.configName(), request.getId());
    }
    out.onNext(ClearOverrideResponse.newBuilder().setCleared(cleared).build());
    out.onCompleted();
  }

  @Override
  public void listOverrides(
      ListOverridesRequest request, StreamObserver<ListOverridesResponse> out) {
    Scope scope;
    if (request.getScope() == dev.tollgate.admin.v1.Scope.SCOPE_UNSPECIFIED) {
      scope = null;
    } else {
      scope = overrideScope(request.getScope(), out);
      if (scope == null) {
        return;
      }
    }
    List<LimitOverride> all;
    try {
      all = overrides.list(scope);
    } catch (RuntimeException e) {
      LOG.warn("admin.override_failed: cannot list: {}", e.toString());
      out.onError(
          Status.UNAVAILABLE.withDescription("override store unavailable").asRuntimeException());
      return;
    }
    ListOverridesResponse.Builder b = ListOverridesResponse.newBuilder();
    for (LimitOverride o : all) {
      b.addOverrides(toProto(o));
    }
    out.onNext(b.build());
    out.onCompleted();
  }

  /** USER or KEY, else INVALID_ARGUMENT (and null). */
  private static Scope overrideScope(dev.tollgate.admin.v1.Scope s, StreamObserver<?> out) {
    Scope scope =
        switch (s) {
          case USER -> Scope.USER;
          case KEY -> Scope.KEY;
          default -> null;
        };
    if (scope == null) {
      out.onError(
          Status.INVALID_ARGUMENT
              .withDescription(
                  "scope: " + s + " (expected: USER or KEY; only those limits can be overridden)")
              .asRuntimeException());
    }
    return scope;
  }

  private static boolean validOverrideId(Scope scope, String id, StreamObserver<?> out) {
    if (id.length() > LimitOverride.MAX_ID_LENGTH) {
      out.onError(
          Status.INVALID_ARGUMENT
              .withDescription(
                  "id: "
                      + id.length()
                      + " characters (expected: at most "
                      + LimitOverride.MAX_ID_LENGTH
                      + ")")
              .asRuntimeException());
      return false;
    }
    return validId(scope, id, out);
  }

  /** The most US dollars one override limit may hold. */
  private static final double MAX_USD = 1e9;

  /**
   * The domain limits of a request's limits.
   *
   * @throws IllegalArgumentException naming the first bad limit and what was expected
   */
  private static List<Limit> limits(List<LimitValue> values) {
    if (values.isEmpty() || values.size() > LimitOverride.MAX_LIMITS) {
      throw new IllegalArgumentException(
          "limits: "
              + values.size()
              + " (expected: 1 to "
              + LimitOverride.MAX_LIMITS
              + " limits, each { window, tokens | usd })");
    }
    List<Limit> limits = new ArrayList<>(values.size());
    for (int i = 0; i < values.size(); i++) {
      LimitValue v = values.get(i);
      String at = "limits[" + i + "]";
      Window window;
      try {
        window = Window.parse(v.getWindow());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(at + "." + e.getMessage(), e);
      }
      switch (v.getAmountCase()) {
        case TOKENS -> {
          if (v.getTokens() <= 0 || v.getTokens() > Long.MAX_VALUE / 4) {
            throw new IllegalArgumentException(
                at + ".tokens: " + v.getTokens() + " (expected: > 0)");
          }
          limits.add(new Limit(window, Unit.TOKENS, v.getTokens()));
        }
        case USD -> {
          double usd = v.getUsd();
          if (!(usd > 0) || usd > MAX_USD) {
            throw new IllegalArgumentException(
                at + ".usd: " + usd + " (expected: > 0 and at most " + (long) MAX_USD + ")");
          }
          limits.add(new Limit(window, Unit.NANO_USD, Money.toNanoUsd(BigDecimal.valueOf(usd))));
        }
        default ->
            throw new IllegalArgumentException(
                at + ": neither tokens nor usd (expected: exactly one of tokens, usd)");
      }
    }
    return limits;
  }

  // not imported: it would hide java.lang.Override
  private static dev.tollgate.admin.v1.Override toProto(LimitOverride o) {
    dev.tollgate.admin.v1.Override.Builder b =
        dev.tollgate.admin.v1.Override.newBuilder()
            .setScope(
                o.scope() == Scope.USER
                    ? dev.tollgate.admin.v1.Scope.USER
                    : dev.tollgate.admin.v1.Scope.KEY)
            .setId(o.id())
            .setUpdatedAtMillis(o.updatedAtMillis());
    for (Limit l : o.limits()) {
      LimitValue.Builder v = LimitValue.newBuilder().setWindow(l.window().name());
      if (l.unit() == Unit.NANO_USD) {
        v.setUsd(Money.toUsd(l.max()).doubleValue());
      } else {
        v.setTokens(l.max());
      }
      b.addLimits(v);
    }
    return b.build();
  }

  @Override
  public void usageReport(UsageReportRequest request, StreamObserver<UsageReportResponse> out) {
    answer(
        out,
        () -> {
          Period period = period(request.getPeriod());
          UsageReport r =
              analytics
                  .get()
                  .report(
                      tierName(request.getTier()),
                      period,
                      day("from", request.getFrom()),
                      day("to", request.getTo()));
          UsageReportResponse.Builder b =
              UsageReportResponse.newBuilder()
                  .setTier(r.tier())
                  .setPeriod(request.getPeriod())
                  .setFrom(r.from().toString())
                  .setTo(r.to().toString())
                  .setActiveUsers(r.activeUsers())
                  .setTokensPerUser(distribution(r.tokensPerUser()))
                  .setUsdPerUser(distribution(r.usdPerUser()))
                  .setTotalTokens(r.totalTokens())
                  .setTotalUsd(usd(r.totalNanoUsd()))
                  .setTotalRequests(r.totalRequests());
          if (request.getPeriod() == dev.tollgate.admin.v1.Period.PERIOD_UNSPECIFIED) {
            b.setPeriod(dev.tollgate.admin.v1.Period.MONTH);
          }
          for (UsageReport.ModelTotal m : r.models()) {
            b.addModels(
                ModelTotal.newBuilder()
                    .setModel(m.model())
                    .setRequests(m.requests())
                    .setInputTokens(m.inputTokens())
                    .setCachedInputTokens(m.cachedInputTokens())
                    .setOutputTokens(m.outputTokens())
                    .setUsd(usd(m.nanoUsd())));
          }
          for (UsageReport.LimitRefusals l : r.refusals()) {
            b.addRefusals(
                LimitRefusals.newBuilder()
                    .setScope(l.scope())
                    .setWindow(l.window())
                    .setUsers(l.users())
                    .setRefusals(l.refusals()));
          }
          for (UsageReport.DayTotal d : r.days()) {
            b.addDays(
                DayTotal.newBuilder()
                    .setDay(d.day().toString())
                    .setActiveUsers(d.activeUsers())
                    .setRequests(d.requests())
                    .setTokens(d.tokens())
                    .setUsd(usd(d.nanoUsd()))
                    .setRefusals(d.refusals()));
          }
          for (UsageReport.HistogramBin h : r.tokensHistogram()) {
            b.addTokensHistogram(
                HistogramBin.newBuilder()
                    .setLower(h.lower())
                    .setUpper(h.upper())
                    .setCount(h.count()));
          }
          for (UsageReport.TierLimit l : r.limits()) {
            b.addLimits(
                TierLimit.newBuilder()
                    .setScope(l.scope())
                    .setWindow(l.window())
                    .setUnit(l.unit())
                    .setValue(l.value()));
          }
          return b.build();
        });
  }

  @Override
  public void topUsers(TopUsersRequest request, StreamObserver<TopUsersResponse> out) {
    answer(
        out,
        () -> {
          TopBy by =
              switch (request.getBy()) {
                case TOP_BY_UNSPECIFIED, TOKENS -> TopBy.TOKENS;
                case USD -> TopBy.USD;
                case REFUSALS -> TopBy.REFUSALS;
                default ->
                    throw new IllegalArgumentException(
                        "by: " + request.getByValue() + " (expected: TOKENS, USD or REFUSALS)");
              };
          List<dev.tollgate.analytics.UserTotal> users =
              analytics
                  .get()
                  .topUsers(
                      tierName(request.getTier()),
                      period(request.getPeriod()),
                      day("from", request.getFrom()),
                      day("to", request.getTo()),
                      by,
                      request.getLimit());
          TopUsersResponse.Builder b = TopUsersResponse.newBuilder();
          for (dev.tollgate.analytics.UserTotal u : users) {
            b.addUsers(
                UserTotal.newBuilder()
                    .setUser(u.user())
                    .setRequests(u.requests())
                    .setTokens(u.tokens())
                    .setUsd(usd(u.nanoUsd()))
                    .setRefusals(u.refusals()));
          }
          return b.build();
        });
  }

  @Override
  public void adviseLimits(AdviseLimitsRequest request, StreamObserver<AdviseLimitsResponse> out) {
    answer(
        out,
        () -> {
          // proto3 zero means "not set": the defaults
          double percentile = request.getPercentile() == 0 ? 95 : request.getPercentile();
          double headroom = request.getHeadroom() == 0 ? 1.2 : request.getHeadroom();
          int lookback = request.getLookback() == 0 ? 3 : request.getLookback();
          String tier = tierName(request.getTier());
          List<dev.tollgate.analytics.LimitAdvice> advice =
              analytics.get().advise(tier, percentile, headroom, lookback);
          AdviseLimitsResponse.Builder b =
              AdviseLimitsResponse.newBuilder()
                  .setTier(tier)
                  .setPercentile(percentile)
                  .setHeadroom(headroom)
                  .setLookback(lookback);
          for (dev.tollgate.analytics.LimitAdvice a : advice) {
            b.addLimits(
                LimitAdvice.newBuilder()
                    .setScope(a.scope())
                    .setWindow(a.window())
                    .setUnit(a.unit())
                    .setCurrent(a.current())
                    .setSuggested(a.suggested())
                    .setAdvisable(a.advisable())
                    .setNote(a.note())
                    .setSamples(a.samples())
                    .setUsersRefusedCurrent(a.refusedCurrent())
                    .setUsersRefusedSuggested(a.refusedSuggested())
                    .setWorstCaseUsdPerUserCurrent(a.worstCaseUsdCurrent())
                    .setWorstCaseUsdPerUserSuggested(a.worstCaseUsdSuggested())
                    .setProjectedUsdCurrent(a.projectedUsdCurrent())
                    .setProjectedUsdSuggested(a.projectedUsdSuggested()));
          }
          return b.build();
        });
  }

  /** Runs an analytics call: bad arguments are INVALID_ARGUMENT, an absent store UNAVAILABLE. */
  private <T> void answer(StreamObserver<T> out, Supplier<T> call) {
    if (analytics.get() == null) {
      out.onError(
          Status.UNIMPLEMENTED
              .withDescription("analytics are not enabled on this server")
              .asRuntimeException());
      return;
    }
    T response;
    try {
      response = call.get();
    } catch (IllegalArgumentException e) {
      out.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
      return;
    } catch (LedgerUnavailableException e) {
      out.onError(
          Status.UNAVAILABLE
              .withDescription("usage ledger unavailable: " + e.getMessage())
              .asRuntimeException());
      return;
    }
    out.onNext(response);
    out.onCompleted();
  }

  private static String tierName(String tier) {
    return tier.isEmpty() ? "default" : tier;
  }

  private static Period period(dev.tollgate.admin.v1.Period p) {
    return switch (p) {
      case DAY -> Period.DAY;
      case WEEK -> Period.WEEK;
      case MONTH, PERIOD_UNSPECIFIED -> Period.MONTH;
      default ->
          throw new IllegalArgumentException("period: " + p + " (expected: DAY, WEEK or MONTH)");
    };
  }

  /** A "YYYY-MM-DD" day, or null when empty. */
  private static LocalDate day(String field, String text) {
    if (text.isEmpty()) {
      return null;
    }
    try {
      return LocalDate.parse(text);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          field + ": '" + text + "' (expected: a day as YYYY-MM-DD, or empty)");
    }
  }

  private static Distribution distribution(dev.tollgate.analytics.Distribution d) {
    return Distribution.newBuilder()
        .setSamples(d.samples())
        .setP50(d.p50())
        .setP90(d.p90())
        .setP95(d.p95())
        .setP99(d.p99())
        .setMax(d.max())
        .setMean(d.mean())
        .build();
  }

  private static double usd(long nanoUsd) {
    return nanoUsd / 1e9;
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
