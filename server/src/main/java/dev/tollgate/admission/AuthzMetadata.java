package dev.tollgate.admission;

/**
 * What ext_authz publishes in Envoy's dynamic metadata (namespace {@code
 * envoy.filters.http.ext_authz}) and ext_proc reads back: one typed shape, written and read by one
 * codec ({@code dev.tollgate.envoy.AuthzMetadataCodec}). Every field may be null (absent).
 *
 * <p>ext_proc acts only on {@link #reservation} (the sealed ticket, which carries everything
 * settlement needs) and {@link #rateLimit}; the plain fields are there for Envoy's access logs
 * ({@code %DYNAMIC_METADATA(envoy.filters.http.ext_authz:decision)%}, ...), under the names in
 * {@code FIELD_*}.
 *
 * @param user the end user
 * @param conversation the conversation
 * @param key the service key's name
 * @param tier the tier
 * @param model the requested model
 * @param api the API's metadata name
 * @param promptTokens prompt tokens counted at admission
 * @param reservedTokens tokens reserved (prompt + expected output)
 * @param reservedUsd USD reserved, as a plain decimal
 * @param stream whether the request streams
 * @param includeUsage whether it asked for {@code stream_options.include_usage}
 * @param partialBody whether Envoy passed only part of the body
 * @param reservation the sealed reservation ticket
 * @param store {@code ok} or {@code unavailable}
 * @param rateLimit the tightest token window as of admission (its headers go on the response)
 * @param decision the reason code
 * @param bindingScope the scope of the quota key that refused
 * @param bindingWindow the window that refused
 * @param rateLimitRequests the tightest request window as of admission (its headers go on the
 *     response)
 * @param shadowExceeded the shadow limits this request went over, comma-separated {@code
 *     scope:window:unit} ({@code user:1m:requests}), or null
 */
public record AuthzMetadata(
    String user,
    String conversation,
    String key,
    String tier,
    String model,
    String api,
    Long promptTokens,
    Long reservedTokens,
    String reservedUsd,
    Boolean stream,
    Boolean includeUsage,
    Boolean partialBody,
    String reservation,
    String store,
    RateLimitHeaders rateLimit,
    Reason decision,
    String bindingScope,
    String bindingWindow,
    RateLimitHeaders rateLimitRequests,
    String shadowExceeded) {

  public static final String FIELD_USER = "user";
  public static final String FIELD_CONVERSATION = "conversation";
  public static final String FIELD_KEY = "key";
  public static final String FIELD_TIER = "tier";
  public static final String FIELD_MODEL = "model";
  public static final String FIELD_API = "api";
  public static final String FIELD_PROMPT_TOKENS = "prompt_tokens";
  public static final String FIELD_RESERVED_TOKENS = "reserved_tokens";
  public static final String FIELD_RESERVED_USD = "reserved_usd";
  public static final String FIELD_STREAM = "stream";
  public static final String FIELD_INCLUDE_USAGE = "include_usage";
  public static final String FIELD_PARTIAL_BODY = "partial_body";
  public static final String FIELD_RESERVATION = "reservation";
  public static final String FIELD_STORE = "store";
  public static final String FIELD_LIMIT_TOKENS = "ratelimit_limit_tokens";
  public static final String FIELD_REMAINING_TOKENS = "ratelimit_remaining_tokens";
  public static final String FIELD_RESET_TOKENS = "ratelimit_reset_tokens";
  public static final String FIELD_DECISION = "decision";
  public static final String FIELD_BINDING_SCOPE = "binding_scope";
  public static final String FIELD_BINDING_WINDOW = "binding_window";
  public static final String FIELD_LIMIT_REQUESTS = "ratelimit_limit_requests";
  public static final String FIELD_REMAINING_REQUESTS = "ratelimit_remaining_requests";
  public static final String FIELD_RESET_REQUESTS = "ratelimit_reset_requests";

  /** Named as the issue of shadow limits names it: what an access log or a Lua filter reads. */
  public static final String FIELD_SHADOW_EXCEEDED = "x-tollgate-shadow-exceeded";

  /** No metadata at all. */
  public static final AuthzMetadata EMPTY = builder().build();

  public AuthzMetadata {
    if (rateLimit != null && rateLimit.unit() != dev.tollgate.quota.Unit.TOKENS) {
      throw new IllegalArgumentException(
          "rateLimit: a " + rateLimit.unit().configName() + " window (expected: a token window)");
    }
    if (rateLimitRequests != null && rateLimitRequests.unit() != dev.tollgate.quota.Unit.REQUESTS) {
      throw new IllegalArgumentException(
          "rateLimitRequests: a "
              + rateLimitRequests.unit().configName()
              + " window (expected: a request window)");
    }
  }

  /** Whether no field is set. */
  public boolean isEmpty() {
    return equals(EMPTY);
  }

  /** An empty builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding this metadata's fields. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.user = user;
    b.conversation = conversation;
    b.key = key;
    b.tier = tier;
    b.model = model;
    b.api = api;
    b.promptTokens = promptTokens;
    b.reservedTokens = reservedTokens;
    b.reservedUsd = reservedUsd;
    b.stream = stream;
    b.includeUsage = includeUsage;
    b.partialBody = partialBody;
    b.reservation = reservation;
    b.store = store;
    b.rateLimit = rateLimit;
    b.decision = decision;
    b.bindingScope = bindingScope;
    b.bindingWindow = bindingWindow;
    b.rateLimitRequests = rateLimitRequests;
    b.shadowExceeded = shadowExceeded;
    return b;
  }

  /** Collects the fields as admission learns them. */
  public static final class Builder {
    private String user;
    private String conversation;
    private String key;
    private String tier;
    private String model;
    private String api;
    private Long promptTokens;
    private Long reservedTokens;
    private String reservedUsd;
    private Boolean stream;
    private Boolean includeUsage;
    private Boolean partialBody;
    private String reservation;
    private String store;
    private RateLimitHeaders rateLimit;
    private Reason decision;
    private String bindingScope;
    private String bindingWindow;
    private RateLimitHeaders rateLimitRequests;
    private String shadowExceeded;

    private Builder() {}

    public Builder user(String v) {
      user = v;
      return this;
    }

    public Builder conversation(String v) {
      conversation = v;
      return this;
    }

    public Builder key(String v) {
      key = v;
      return this;
    }

    /** The key's name, unless one is set already. */
    public Builder keyIfAbsent(String v) {
      return key == null ? key(v) : this;
    }

    public Builder tier(String v) {
      tier = v;
      return this;
    }

    /** The tier, unless one is set already. */
    public Builder tierIfAbsent(String v) {
      return tier == null ? tier(v) : this;
    }

    public Builder model(String v) {
      model = v;
      return this;
    }

    /** The model, unless one is set already. */
    public Builder modelIfAbsent(String v) {
      return model == null ? model(v) : this;
    }

    public Builder api(String v) {
      api = v;
      return this;
    }

    public Builder promptTokens(Long v) {
      promptTokens = v;
      return this;
    }

    public Builder reservedTokens(Long v) {
      reservedTokens = v;
      return this;
    }

    public Builder reservedUsd(String v) {
      reservedUsd = v;
      return this;
    }

    public Builder stream(Boolean v) {
      stream = v;
      return this;
    }

    public Builder includeUsage(Boolean v) {
      includeUsage = v;
      return this;
    }

    public Builder partialBody(Boolean v) {
      partialBody = v;
      return this;
    }

    public Builder reservation(String v) {
      reservation = v;
      return this;
    }

    public Builder store(String v) {
      store = v;
      return this;
    }

    public Builder rateLimit(RateLimitHeaders v) {
      rateLimit = v;
      return this;
    }

    public Builder decision(Reason v) {
      decision = v;
      return this;
    }

    public Builder bindingScope(String v) {
      bindingScope = v;
      return this;
    }

    public Builder bindingWindow(String v) {
      bindingWindow = v;
      return this;
    }

    public Builder rateLimitRequests(RateLimitHeaders v) {
      rateLimitRequests = v;
      return this;
    }

    public Builder shadowExceeded(String v) {
      shadowExceeded = v;
      return this;
    }

    public AuthzMetadata build() {
      return new AuthzMetadata(
          user,
          conversation,
          key,
          tier,
          model,
          api,
          promptTokens,
          reservedTokens,
          reservedUsd,
          stream,
          includeUsage,
          partialBody,
          reservation,
          store,
          rateLimit,
          decision,
          bindingScope,
          bindingWindow,
          rateLimitRequests,
          shadowExceeded);
    }
  }
}
