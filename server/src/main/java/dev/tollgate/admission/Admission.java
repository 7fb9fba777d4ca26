package dev.tollgate.admission;

import dev.tollgate.accounting.Pricing;
import dev.tollgate.accounting.ReservationTicket;
import dev.tollgate.accounting.TicketSeal;
import dev.tollgate.auth.Identity;
import dev.tollgate.auth.IdentityResolver;
import dev.tollgate.auth.InvalidAssertionException;
import dev.tollgate.auth.InvalidIdentityException;
import dev.tollgate.auth.NonceStore;
import dev.tollgate.auth.OnBehalfOfAssertions;
import dev.tollgate.auth.ServiceKeys;
import dev.tollgate.auth.VerifiedAssertion;
import dev.tollgate.config.IdentitySource;
import dev.tollgate.config.ModelConfig;
import dev.tollgate.config.RequestConfig;
import dev.tollgate.config.Role;
import dev.tollgate.config.RoutesConfig;
import dev.tollgate.config.ServiceKeyConfig;
import dev.tollgate.config.StoreConfig;
import dev.tollgate.config.TierConfig;
import dev.tollgate.config.TollgateConfig;
import dev.tollgate.ledger.LedgerKey;
import dev.tollgate.ledger.LedgerTag;
import dev.tollgate.ledger.UsageLedger;
import dev.tollgate.quota.Charge;
import dev.tollgate.quota.InMemoryOverrides;
import dev.tollgate.quota.Money;
import dev.tollgate.quota.Overrides;
import dev.tollgate.quota.QuotaService;
import dev.tollgate.quota.QuotaTarget;
import dev.tollgate.quota.ReserveResult;
import dev.tollgate.quota.Scope;
import dev.tollgate.quota.StoreUnavailableException;
import dev.tollgate.quota.Unit;
import dev.tollgate.quota.WindowStatus;
import dev.tollgate.tokens.ApiKind;
import dev.tollgate.tokens.InvalidRequestException;
import dev.tollgate.tokens.ParsedRequest;
import dev.tollgate.tokens.PromptCounter;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admission pipeline: service key → route (on the normalized path) → body → identity → model
 * policy → token count → quota reservation → decision; a route that counts requests only goes from
 * the route to the identity and reserves one request. Each step is a small method; the result is a
 * {@link Verdict} value. "Over quota" is a normal {@link Verdict.Deny}; a store that cannot answer
 * follows the {@code on_error} of the limits that apply (else {@code store.on_error}). Never
 * throws: every failure becomes a decision.
 */
public final class Admission {
  private static final Logger LOG = LoggerFactory.getLogger(Admission.class);

  private static final String TOLLGATE_HEADER_PREFIX = "x-tollgate-";

  private final TollgateConfig config;
  private final ServiceKeys keys;
  private final IdentityResolver identities;
  private final PromptCounter counter;
  private final QuotaService quotas;
  private final Pricing pricing;
  private final Clock clock;
  private final OnBehalfOfAssertions assertions;
  private final NonceStore nonces;
  private final Set<String> bodyFields;
  private final String upstreamKey;
  private final AdmissionStats stats;
  private final TicketSeal seal;
  private final UsageLedger ledger;
  private final Overrides overrides;
  private final dev.tollgate.alerts.Alerts alerts;

  /**
   * Without a ledger.
   *
   * @param seal seals the reservation ticket handed to ext_proc through Envoy
   */
  public Admission(
      TollgateConfig config,
      PromptCounter counter,
      QuotaService quotas,
      NonceStore nonces,
      Clock clock,
      AdmissionStats stats,
      TicketSeal seal) {
    this(config, counter, quotas, nonces, clock, stats, seal, UsageLedger.NONE);
  }

  /**
   * Without overrides.
   *
   * @param seal seals the reservation ticket handed to ext_proc through Envoy
   * @param ledger where quota refusals are counted
   */
  public Admission(
      TollgateConfig config,
      PromptCounter counter,
      QuotaService quotas,
      NonceStore nonces,
      Clock clock,
      AdmissionStats stats,
      TicketSeal seal,
      UsageLedger ledger) {
    this(config, counter, quotas, nonces, clock, stats, seal, ledger, new InMemoryOverrides());
  }

  /**
   * @param seal seals the reservation ticket handed to ext_proc through Envoy
   * @param ledger where quota refusals are counted
   * @param overrides per-user and per-key limits that replace the tier's of their scope
   */
  public Admission(
      TollgateConfig config,
      PromptCounter counter,
      QuotaService quotas,
      NonceStore nonces,
      Clock clock,
      AdmissionStats stats,
      TicketSeal seal,
      UsageLedger ledger,
      Overrides overrides) {
    this(
        config,
        counter,
        quotas,
        nonces,
        clock,
        stats,
        seal,
        ledger,
        overrides,
        dev.tollgate.alerts.Alerts.NONE);
  }

  /**
   * @param seal seals the reservation ticket handed to ext_proc through Envoy
   * @param ledger where quota refusals are counted
   * @param overrides per-user and per-key limits that replace the tier's of their scope
   * @param alerts sees every reservation's windows and store failures
   */
  public Admission(
      TollgateConfig config,
      PromptCounter counter,
      QuotaService quotas,
      NonceStore nonces,
      Clock clock,
      AdmissionStats stats,
      TicketSeal seal,
      UsageLedger ledger,
      Overrides overrides,
      dev.tollgate.alerts.Alerts alerts) {
    this.alerts = java.util.Objects.requireNonNull(alerts, "alerts");
    this.config = config;
    this.overrides = java.util.Objects.requireNonNull(overrides, "overrides");
    this.ledger = java.util.Objects.requireNonNull(ledger, "ledger");
    this.seal = seal;
    this.keys = new ServiceKeys(config.keys());
    this.identities = new IdentityResolver(config.identity());
    this.counter = counter;
    this.quotas = quotas;
    this.pricing = new Pricing(config.models());
    this.clock = clock;
    this.nonces = nonces;
    this.stats = stats;
    var a = config.identity().assertion();
    this.assertions = a == null ? null : new OnBehalfOfAssertions(a.keys(), a.maxTtl());
    Set<String> fields = new HashSet<>();
    for (IdentitySource s : config.identity().sources()) {
      if (s instanceof IdentitySource.BodyField b) {
        fields.add(b.field());
      }
    }
    for (IdentitySource s : config.identity().conversationSources()) {
      if (s instanceof IdentitySource.BodyField b) {
        fields.add(b.field());
      }
    }
    this.bodyFields = Set.copyOf(fields);
    String k = config.upstream().apiKey() == null ? "" : config.upstream().apiKey().reveal();
    this.upstreamKey = k.isEmpty() ? null : k;
  }

  /**
   * Gives back the reservation of an allow that never reached Envoy (the Check was cancelled or
   * timed out: Envoy refused the request, so the upstream is never called).
   */
  public void abandoned(Verdict decision) {
    if (decision instanceof Verdict.Allow a && a.reservationId() != null) {
      stats.abandoned.increment();
      quotas
          .cancel(a.reservationId())
          .whenComplete(
              (s, e) -> {
                if (e != null) {
                  LOG.warn(
                      "store.release_failed: abandoned reservation {}: {}",
                      a.reservationId(),
                      e.toString());
                }
              });
    }
  }

  /** Decides one request. The stage always completes normally. */
  public CompletionStage<Verdict> admit(AdmissionRequest request) {
    long start = System.nanoTime();
    CompletionStage<Verdict> stage;
    try {
      stage = admitSteps(request);
    } catch (RuntimeException e) {
      stage = CompletableFuture.completedFuture(internalError(e));
    }
    return stage.handle(
        (d, e) -> {
          Verdict decision = e == null ? d : internalError(unwrap(e));
          long nanos = System.nanoTime() - start;
          stats.record(decision, nanos);
          DecisionLog.debug(LOG, request, decision, nanos);
          return decision;
        });
  }

  private CompletionStage<Verdict> admitSteps(AdmissionRequest request) {
    // 1. service key
    Optional<ServiceKeyConfig> key = keys.authenticate(request.header("authorization"));
    if (key.isEmpty()) {
      return done(
          deny(
              Reason.AUTH_INVALID_KEY,
              OpenAiError.invalidApiKey(
                  request.header("authorization") == null
                      ? "You didn't provide an API key. You need to provide your API key in an Authorization header "
                          + "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
                      : "Incorrect API key provided. Use a Tollgate service key as the API key."),
              Map.of()));
    }
    ServiceKeyConfig serviceKey = key.get();
    if (serviceKey.role() == Role.ADMIN) {
      return done(
          deny(
              Reason.AUTH_ADMIN_KEY,
              new OpenAiError(
                  403,
                  "Admin keys may only call Tollgate's admin API.",
                  "invalid_request_error",
                  null,
                  "admin_key_not_allowed"),
              Map.of()));
    }
    // 2. route: the first whose prefix and methods match the normalized path
    RequestPath path = RequestPath.of(request.path());
    if (path instanceof RequestPath.Invalid invalid) {
      return done(
          deny(
              Reason.ROUTE_INVALID_PATH,
              new OpenAiError(
                  400,
                  "Invalid request URL: "
                      + invalid.why()
                      + ". Send the path as the API documents it.",
                  "invalid_request_error",
                  null,
                  "invalid_url"),
              Map.of()));
    }
    String pathKey = ((RequestPath.Normal) path).key();
    RoutesConfig.Route route = config.routes().match(request.method(), pathKey);
    TierConfig tier =
        config
            .tiers()
            .get(route != null && route.tier() != null ? route.tier() : serviceKey.tier());
    if (route != null && route.count() == RoutesConfig.Count.REQUESTS) {
      return admitRequestOnly(request, serviceKey, tier);
    }
    ApiKind api = route == null ? null : ApiKind.fromPath(pathKey);
    if (api == null) {
      if (config.routes().unknownPath() == RoutesConfig.UnknownPath.ALLOW) {
        AuthzMetadata md =
            AuthzMetadata.builder()
                .key(serviceKey.name())
                .tier(tier.name())
                .decision(Reason.ALLOW_UNKNOWN_PATH)
                .build();
        return done(allow(Reason.ALLOW_UNKNOWN_PATH, request, md));
      }
      return done(
          deny(
              Reason.ROUTE_UNKNOWN_PATH,
              new OpenAiError(
                  404,
                  "Unknown request URL: "
                      + request.method()
                      + " "
                      + safePath(request.path())
                      + ". Tollgate serves /v1/chat/completions, /v1/responses, /v1/completions and /v1/embeddings.",
                  "invalid_request_error",
                  null,
                  "unknown_url"),
              Map.of()));
    }
    if (!"POST".equalsIgnoreCase(request.method())) {
      return done(
          deny(
              Reason.REQUEST_METHOD,
              new OpenAiError(
                  405,
                  "Method "
                      + request.method()
                      + " is not allowed on "
                      + api.path()
                      + " (expected: POST).",
                  "invalid_request_error",
                  null,
                  "method_not_allowed"),
              Map.of()));
    }
    // 3. body
    if (request.body() == null || request.body().length == 0) {
      return done(
          deny(
              Reason.REQUEST_INVALID,
              OpenAiError.invalidRequest(
                  null, "The request has no body; " + api.path() + " expects a JSON body."),
              Map.of()));
    }
    if (request.partial() && config.request().partialBody() == RequestConfig.PartialBody.DENY) {
      return done(
          deny(
              Reason.REQUEST_PARTIAL_BODY,
              new OpenAiError(
                  413,
                  "The request body is larger than Tollgate can check: Envoy passed only its first "
                      + request.body().length
                      + " bytes, and a request cannot be admitted on what was not seen. Send a smaller request.",
                  "invalid_request_error",
                  null,
                  "request_too_large"),
              Map.of()));
    }
    ParsedRequest parsed;
    try {
      parsed =
          counter.parse(
              api, request.body(), request.partial(), bodyFields, this::configuredEncoding);
    } catch (InvalidRequestException e) {
      return done(
          deny(
              Reason.REQUEST_INVALID,
              OpenAiError.invalidRequest(e.param(), e.getMessage()),
              Map.of()));
    }
    if (parsed.model() == null) {
      return done(
          deny(
              Reason.REQUEST_INVALID,
              OpenAiError.invalidRequest(
                  "model", "The request body was cut short before 'model'; send a smaller body."),
              Map.of()));
    }
    // 4. signed assertion (if configured), then identity
    CompletionStage<VerifiedAssertion> assertion = verifyAssertion(request);
    return assertion
        .thenCompose(verified -> afterAssertion(request, api, serviceKey, tier, parsed, verified))
        .exceptionally(e -> failed(e, request, serviceKey, tier, parsed.model()));
  }

  /**
   * The verdict for an admission that ended in an exception after the key check: a bad signed
   * assertion (401), the store (its failure policy), or anything else (500).
   */
  private Verdict failed(
      Throwable e,
      AdmissionRequest request,
      ServiceKeyConfig serviceKey,
      TierConfig tier,
      String model) {
    Throwable t = unwrap(e);
    if (t instanceof InvalidAssertionException ia) {
      return deny(
          Reason.AUTH_INVALID_ASSERTION,
          new OpenAiError(
              401,
              ia.getMessage(),
              "invalid_request_error",
              null,
              "invalid_on_behalf_of_assertion"),
          Map.of());
    }
    if (t instanceof StoreUnavailableException su) {
      return storeUnavailable(request, serviceKey, tier, model, null, su, null);
    }
    return internalError(t);
  }

  /**
   * A route that counts requests only: the body is not read; after the identity, one request is
   * reserved on every target and not held (nothing settles it). An allowed request goes upstream
   * without the service key and never with the upstream key (its upstream is not OpenAI), and
   * carries the tightest request window's headers back to the client.
   */
  private CompletionStage<Verdict> admitRequestOnly(
      AdmissionRequest request, ServiceKeyConfig serviceKey, TierConfig tier) {
    return verifyAssertion(request)
        .thenCompose(verified -> reserveRequest(request, serviceKey, tier, verified))
        .exceptionally(e -> failed(e, request, serviceKey, tier, null));
  }

  private CompletionStage<Verdict> reserveRequest(
      AdmissionRequest request,
      ServiceKeyConfig serviceKey,
      TierConfig tier,
      VerifiedAssertion verified) {
    Identity identity;
    try {
      identity = identities.resolve(new View(request, null, verified));
    } catch (InvalidIdentityException e) {
      return identityInvalid(e);
    }
    List<QuotaTarget> targets = targets(serviceKey, tier, identity);
    AuthzMetadata.Builder md =
        AuthzMetadata.builder()
            .user(identity.user())
            .conversation(identity.conversation())
            .key(serviceKey.name())
            .tier(tier.name());
    return quotas
        .reserveUnheld(targets, Charge.ONE_REQUEST)
        .handle(
            (qd, e) -> {
              if (e != null) {
                Throwable t = unwrap(e);
                StoreUnavailableException su =
                    t instanceof StoreUnavailableException s
                        ? s
                        : new StoreUnavailableException(String.valueOf(t.getMessage()), t);
                return storeUnavailable(request, serviceKey, tier, null, md, su, targets);
              }
              if (qd instanceof ReserveResult.OverQuota over) {
                return QuotaRefusals.refuse(over, null, Charge.ONE_REQUEST, md);
              }
              ReserveResult.Reserved r = (ReserveResult.Reserved) qd;
              RateLimitHeaders requests = tightest(r, Unit.REQUESTS);
              md.store("ok");
              shadowExceeded(r, md, identity.user(), serviceKey.name());
              md.rateLimitRequests(requests);
              md.decision(Reason.ALLOW);
              return allowRequestOnly(
                  Reason.ALLOW,
                  request,
                  md.build(),
                  requests == null ? Map.of() : requests.headers());
            });
  }

  private CompletionStage<VerifiedAssertion> verifyAssertion(AdmissionRequest request) {
    var cfg = config.identity().assertion();
    if (cfg == null) {
      return CompletableFuture.completedFuture(null);
    }
    String value = request.header(cfg.header());
    if (value == null || value.isEmpty()) {
      if (cfg.required()) {
        return CompletableFuture.failedFuture(
            new InvalidAssertionException(
                "a signed on-behalf-of assertion is required in header " + cfg.header()));
      }
      return CompletableFuture.completedFuture(null);
    }
    long now = clock.millis();
    VerifiedAssertion v;
    try {
      v = assertions.verify(value, now);
    } catch (InvalidAssertionException e) {
      return CompletableFuture.failedFuture(e);
    }
    return nonces
        .firstUse(v.nonce(), v.expiresAtSeconds() * 1000, now)
        .toCompletableFuture()
        .orTimeout(config.store().deadline().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
        .handle(
            (fresh, e) -> {
              if (e != null) {
                throw new StoreUnavailableException(
                    "nonce store: " + unwrap(e).getMessage(), unwrap(e));
              }
              if (!fresh) {
                throw new InvalidAssertionException("on-behalf-of assertion was already used");
              }
              return v;
            });
  }

  /** The denial of a request whose end user could not be determined. */
  private static CompletionStage<Verdict> identityInvalid(InvalidIdentityException e) {
    return done(
        deny(Reason.IDENTITY_INVALID, OpenAiError.invalidRequest(null, e.getMessage()), Map.of()));
  }

  private CompletionStage<Verdict> afterAssertion(
      AdmissionRequest request,
      ApiKind api,
      ServiceKeyConfig serviceKey,
      TierConfig tier,
      ParsedRequest parsed,
      VerifiedAssertion verified) {
    Identity identity;
    try {
      identity = identities.resolve(new View(request, parsed, verified));
    } catch (InvalidIdentityException e) {
      return identityInvalid(e);
    }
    // 5. model policy
    if (!tier.models().contains(parsed.model())) {
      return done(
          deny(
              Reason.MODEL_NOT_ALLOWED,
              new OpenAiError(
                  403,
                  "The model '"
                      + parsed.model()
                      + "' is not allowed for this key (tier '"
                      + tier.name()
                      + "'). Allowed models: "
                      + String.join(", ", tier.models())
                      + ".",
                  "invalid_request_error",
                  "model",
                  "model_not_allowed"),
              Map.of()));
    }
    // 6. reservation
    long output = reservedOutputTokens(api, parsed, tier);
    long tokens = Money.addSaturated(parsed.promptTokens(), output);
    long usd = pricing.nanoUsd(parsed.model(), parsed.promptTokens(), 0, output);
    Charge charge = new Charge(tokens, usd, 1);
    List<QuotaTarget> targets = targets(serviceKey, tier, identity);
    AuthzMetadata.Builder md = baseMetadata(serviceKey, tier, parsed, identity, api, tokens, usd);
    // held with the reservation: the ledger records it even if it expires unsettled
    String tag =
        new LedgerTag(
                tier.name(),
                identity.user(),
                serviceKey.name(),
                parsed.model(),
                parsed.promptTokens())
            .encode();
    return quotas
        .reserve(targets, charge, tag)
        .handle(
            (qd, e) -> {
              if (e != null) {
                Throwable t = unwrap(e);
                StoreUnavailableException su =
                    t instanceof StoreUnavailableException s
                        ? s
                        : new StoreUnavailableException(String.valueOf(t.getMessage()), t);
                return storeUnavailable(request, serviceKey, tier, parsed.model(), md, su, targets);
              }
              alerts.observe(tier.name(), qd);
              if (qd instanceof ReserveResult.OverQuota over) {
                refused(over, tier, identity, serviceKey, parsed);
                return QuotaRefusals.refuse(over, parsed.model(), charge, md);
              }
              ReserveResult.Reserved r = (ReserveResult.Reserved) qd;
              md.reservation(
                  seal.seal(
                      new ReservationTicket(
                          identity.user(),
                          identity.conversation(),
                          serviceKey.name(),
                          tier.name(),
                          parsed.model(),
                          api.metadataName(),
                          parsed.promptTokens(),
                          r.reservation())));
              md.store("ok");
              shadowExceeded(r, md, identity.user(), serviceKey.name());
              md.rateLimit(tightest(r, Unit.TOKENS));
              md.rateLimitRequests(tightest(r, Unit.REQUESTS));
              md.decision(Reason.ALLOW);
              return allow(Reason.ALLOW, request, md.build(), r.reservation().id());
            });
  }

  /** Counts a quota refusal in the ledger, by the refusing target's scope and window. */
  private void refused(
      ReserveResult.OverQuota over,
      TierConfig tier,
      Identity identity,
      ServiceKeyConfig serviceKey,
      ParsedRequest parsed) {
    try {
      ledger.refused(
          LedgerKey.of(
              clock.millis(), tier.name(), identity.user(), serviceKey.name(), parsed.model()),
          over.target().scope().configName(),
          over.binding().limit().window().name());
    } catch (RuntimeException e) {
      LOG.warn("ledger.record_failed: {}", e.toString());
    }
  }

  /** Output tokens to reserve: the request's maximum (or the tier's) per choice, saturating. */
  static long reservedOutputTokens(ApiKind api, ParsedRequest parsed, TierConfig tier) {
    if (api == ApiKind.EMBEDDINGS) {
      return 0;
    }
    long perChoice =
        parsed.maxOutputTokens() >= 0 ? parsed.maxOutputTokens() : tier.outputReserveTokens();
    long n = Math.max(1, parsed.n());
    return Math.multiplyHigh(perChoice, n) != 0 || perChoice * n < 0
        ? Long.MAX_VALUE
        : perChoice * n;
  }

  private List<QuotaTarget> targets(ServiceKeyConfig key, TierConfig tier, Identity identity) {
    boolean system = key.role() == Role.SYSTEM;
    List<QuotaTarget> targets = new ArrayList<>(4);
    // an override replaces the tier's limits of its scope (user or key) for its id
    var userLimits = overrides.limitsFor(Scope.USER, identity.user(), tier.limitsFor(Scope.USER));
    if (!userLimits.isEmpty()) {
      targets.add(
          new QuotaTarget(
              Scope.USER, QuotaTarget.keyOf(Scope.USER, identity.user()), userLimits, !system));
    }
    var convLimits = tier.limitsFor(Scope.CONVERSATION);
    if (!convLimits.isEmpty() && identity.conversation() != null) {
      targets.add(
          new QuotaTarget(
              Scope.CONVERSATION,
              QuotaTarget.keyOf(Scope.CONVERSATION, identity.conversation()),
              convLimits,
              !system));
    }
    var keyLimits = overrides.limitsFor(Scope.KEY, key.name(), tier.limitsFor(Scope.KEY));
    if (!keyLimits.isEmpty()) {
      targets.add(
          new QuotaTarget(Scope.KEY, QuotaTarget.keyOf(Scope.KEY, key.name()), keyLimits, true));
    }
    var globalLimits = tier.limitsFor(Scope.GLOBAL);
    if (!globalLimits.isEmpty()) {
      targets.add(
          new QuotaTarget(Scope.GLOBAL, QuotaTarget.keyOf(Scope.GLOBAL, ""), globalLimits, true));
    }
    return targets;
  }

  private static AuthzMetadata.Builder baseMetadata(
      ServiceKeyConfig key,
      TierConfig tier,
      ParsedRequest p,
      Identity identity,
      ApiKind api,
      long tokens,
      long usd) {
    return AuthzMetadata.builder()
        .user(identity.user())
        .conversation(identity.conversation())
        .key(key.name())
        .tier(tier.name())
        .model(p.model())
        .api(api.metadataName())
        .promptTokens((long) p.promptTokens())
        .reservedTokens(tokens)
        .reservedUsd(Money.toUsd(usd).toPlainString())
        .stream(p.stream())
        .includeUsage(p.includeUsage())
        .partialBody(p.partial());
  }

  /**
   * Reports the shadow limits a granted reservation went over (they count and report, never
   * refuse): each in {@code tollgate_shadow_exceeded_total} and in a log line with the user, all in
   * the metadata's {@code x-tollgate-shadow-exceeded}. Targets that are not enforced (a system key
   * on a user scope) are not reported: no limit would refuse them.
   */
  private void shadowExceeded(
      ReserveResult.Reserved r, AuthzMetadata.Builder md, String user, String key) {
    List<String> over = null;
    for (var ts : r.statuses()) {
      if (!ts.target().enforce()) {
        continue;
      }
      for (WindowStatus w : ts.windows()) {
        if (w.limit().shadow() && w.used() > w.limit().max()) {
          String label = w.limit().label(ts.target().scope());
          if (over == null) {
            over = new ArrayList<>(2);
          }
          over.add(label);
          stats.shadowExceeded(label);
          LOG.info(
              "quota.shadow_exceeded: {} used {} of {} user={} key={}",
              label,
              w.used(),
              w.limit().max(),
              user,
              key);
        }
      }
    }
    if (over != null) {
      md.shadowExceeded(String.join(",", over));
    }
  }

  /** The tightest enforced window of {@code unit} of a reservation, or null if it has none. */
  private static RateLimitHeaders tightest(ReserveResult.Reserved r, Unit unit) {
    WindowStatus tightest = null;
    for (var ts : r.statuses()) {
      for (WindowStatus w : ts.windows()) {
        if (w.limit().unit() == unit
            && !w.limit().shadow()
            && ts.target().enforce()
            && (tightest == null || w.remaining() < tightest.remaining())) {
          tightest = w;
        }
      }
    }
    return tightest == null ? null : RateLimitHeaders.of(tightest);
  }

  /**
   * The store could not answer: the failure policy decides.
   *
   * @param model the requested model, or null on a route that counts requests only
   * @param targets the targets the request was reserved on, or null when the store failed before
   *     (the nonce store)
   */
  private Verdict storeUnavailable(
      AdmissionRequest request,
      ServiceKeyConfig key,
      TierConfig tier,
      String model,
      AuthzMetadata.Builder md,
      StoreUnavailableException e,
      List<QuotaTarget> targets) {
    boolean failOpen = failsOpen(targets);
    LOG.warn("store.unavailable: {} (policy {})", e.getMessage(), failOpen ? "allow" : "deny");
    alerts.event(dev.tollgate.config.AlertEvent.STORE_UNAVAILABLE, e.getMessage());
    AuthzMetadata.Builder m = md == null ? AuthzMetadata.builder() : md.build().toBuilder();
    m.store("unavailable");
    if (failOpen) {
      m.keyIfAbsent(key.name()).tierIfAbsent(tier.name()).modelIfAbsent(model);
      m.decision(Reason.ALLOW_STORE_UNAVAILABLE);
      return model == null
          ? allowRequestOnly(Reason.ALLOW_STORE_UNAVAILABLE, request, m.build(), Map.of())
          : allow(Reason.ALLOW_STORE_UNAVAILABLE, request, m.build());
    }
    m.decision(Reason.STORE_UNAVAILABLE);
    Map<String, String> h = new LinkedHashMap<>();
    h.put("retry-after", "1");
    h.put("retry-after-ms", "1000");
    return deny(
        Reason.STORE_UNAVAILABLE,
        new OpenAiError(
            503,
            "The quota service is temporarily unavailable. Please retry shortly.",
            "server_error",
            null,
            "quota_unavailable"),
        h,
        m.build());
  }

  private Verdict allow(Reason reason, AdmissionRequest request, AuthzMetadata md) {
    return allow(reason, request, md, null);
  }

  private Verdict allow(
      Reason reason, AdmissionRequest request, AuthzMetadata md, String reservationId) {
    List<String> remove = new ArrayList<>();
    for (String h : request.headers().keySet()) {
      if (h.startsWith(TOLLGATE_HEADER_PREFIX)) {
        remove.add(h);
      }
    }
    if (upstreamKey == null) {
      remove.add("authorization");
    }
    return new Verdict.Allow(reason, upstreamKey, remove, md, reservationId);
  }

  /**
   * Whether a request the store could not reserve goes through: refused when any enforced limit
   * that applies to it fails closed ({@code on_error: deny}, or the store's {@code on_error} when
   * the limit has none), allowed when every one fails open. Without targets (the store failed
   * before them) or without an enforced limit, the store's policy.
   */
  private boolean failsOpen(List<QuotaTarget> targets) {
    boolean store = config.store().onError() == StoreConfig.OnError.ALLOW;
    boolean any = false;
    if (targets != null) {
      for (QuotaTarget t : targets) {
        if (!t.enforce()) {
          continue;
        }
        for (var l : t.limits()) {
          if (l.shadow()) {
            continue;
          }
          any = true;
          boolean open =
              l.onError() == null
                  ? store
                  : l.onError() == dev.tollgate.quota.Limit.FailurePolicy.ALLOW;
          if (!open) {
            return false;
          }
        }
      }
    }
    return any || store;
  }

  /**
   * An allow on a route that counts requests only: client-sent {@code x-tollgate-*} headers and the
   * service key removed, no upstream key set.
   */
  private static Verdict allowRequestOnly(
      Reason reason,
      AdmissionRequest request,
      AuthzMetadata md,
      Map<String, String> responseHeaders) {
    List<String> remove = new ArrayList<>();
    for (String h : request.headers().keySet()) {
      if (h.startsWith(TOLLGATE_HEADER_PREFIX)) {
        remove.add(h);
      }
    }
    remove.add("authorization");
    return new Verdict.Allow(reason, null, remove, md, null, responseHeaders);
  }

  private static Verdict deny(Reason reason, OpenAiError error, Map<String, String> headers) {
    return deny(reason, error, headers, AuthzMetadata.builder().decision(reason).build());
  }

  private static Verdict deny(
      Reason reason, OpenAiError error, Map<String, String> headers, AuthzMetadata md) {
    return new Verdict.Deny(reason, error, headers, md);
  }

  private Verdict internalError(Throwable e) {
    LOG.error("internal.error: admission failed", e);
    return deny(
        Reason.INTERNAL_ERROR,
        new OpenAiError(
            500, "Tollgate could not process the request.", "server_error", null, "internal_error"),
        Map.of());
  }

  private String configuredEncoding(String model) {
    ModelConfig m = config.models().get(model);
    return m == null ? null : m.encoding();
  }

  private static CompletionStage<Verdict> done(Verdict d) {
    return CompletableFuture.completedFuture(d);
  }

  private static Throwable unwrap(Throwable e) {
    while ((e instanceof CompletionException
            || e instanceof java.util.concurrent.ExecutionException)
        && e.getCause() != null) {
      e = e.getCause();
    }
    if (e instanceof TimeoutException) {
      return new StoreUnavailableException("store deadline exceeded", e);
    }
    return e;
  }

  /** The path without its query (queries may hold secrets), cut to 200 characters. */
  static String safePath(String path) {
    if (path == null) {
      return "";
    }
    int q = path.indexOf('?');
    String p = q >= 0 ? path.substring(0, q) : path;
    return p.length() > 200 ? p.substring(0, 200) + "…" : p;
  }

  private static final class View implements IdentityResolver.RequestView {
    private final AdmissionRequest request;
    private final ParsedRequest parsed;
    private final VerifiedAssertion assertion;

    View(AdmissionRequest request, ParsedRequest parsed, VerifiedAssertion assertion) {
      this.request = request;
      this.parsed = parsed;
      this.assertion = assertion;
    }

    @Override
    public String header(String name) {
      return request.header(name);
    }

    @Override
    public Object jwtClaim(String claim) {
      return IdentityResolver.walk(request.jwtPayload(), claim);
    }

    @Override
    public String bodyField(String field) {
      return parsed == null ? null : parsed.bodyFields().get(field);
    }

    @Override
    public VerifiedAssertion assertion() {
      return assertion;
    }
  }
}
