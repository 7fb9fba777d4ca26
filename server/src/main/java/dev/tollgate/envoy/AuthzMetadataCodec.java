package dev.tollgate.envoy;

import static dev.tollgate.admission.AuthzMetadata.FIELD_API;
import static dev.tollgate.admission.AuthzMetadata.FIELD_BINDING_SCOPE;
import static dev.tollgate.admission.AuthzMetadata.FIELD_BINDING_WINDOW;
import static dev.tollgate.admission.AuthzMetadata.FIELD_CONVERSATION;
import static dev.tollgate.admission.AuthzMetadata.FIELD_DECISION;
import static dev.tollgate.admission.AuthzMetadata.FIELD_INCLUDE_USAGE;
import static dev.tollgate.admission.AuthzMetadata.FIELD_KEY;
import static dev.tollgate.admission.AuthzMetadata.FIELD_LIMIT_REQUESTS;
import static dev.tollgate.admission.AuthzMetadata.FIELD_LIMIT_TOKENS;
import static dev.tollgate.admission.AuthzMetadata.FIELD_MODEL;
import static dev.tollgate.admission.AuthzMetadata.FIELD_PARTIAL_BODY;
import static dev.tollgate.admission.AuthzMetadata.FIELD_PROMPT_TOKENS;
import static dev.tollgate.admission.AuthzMetadata.FIELD_REMAINING_REQUESTS;
import static dev.tollgate.admission.AuthzMetadata.FIELD_REMAINING_TOKENS;
import static dev.tollgate.admission.AuthzMetadata.FIELD_RESERVATION;
import static dev.tollgate.admission.AuthzMetadata.FIELD_RESERVED_TOKENS;
import static dev.tollgate.admission.AuthzMetadata.FIELD_RESERVED_USD;
import static dev.tollgate.admission.AuthzMetadata.FIELD_RESET_REQUESTS;
import static dev.tollgate.admission.AuthzMetadata.FIELD_RESET_TOKENS;
import static dev.tollgate.admission.AuthzMetadata.FIELD_SHADOW_EXCEEDED;
import static dev.tollgate.admission.AuthzMetadata.FIELD_STORE;
import static dev.tollgate.admission.AuthzMetadata.FIELD_STREAM;
import static dev.tollgate.admission.AuthzMetadata.FIELD_TIER;
import static dev.tollgate.admission.AuthzMetadata.FIELD_USER;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.tollgate.admission.AuthzMetadata;
import dev.tollgate.admission.RateLimitHeaders;
import dev.tollgate.admission.Reason;
import dev.tollgate.quota.Unit;
import java.util.Map;

/**
 * The one codec of {@link AuthzMetadata}: ext_authz's dynamic metadata Struct, as Envoy stores it
 * and forwards it to ext_proc. Absent fields are not written; a field of an unexpected type reads
 * as absent.
 */
public final class AuthzMetadataCodec {
  private AuthzMetadataCodec() {}

  /** The Struct for a CheckResponse's {@code dynamic_metadata}. */
  public static Struct toStruct(AuthzMetadata m) {
    Struct.Builder b = Struct.newBuilder();
    putString(b, FIELD_USER, m.user());
    putString(b, FIELD_CONVERSATION, m.conversation());
    putString(b, FIELD_KEY, m.key());
    putString(b, FIELD_TIER, m.tier());
    putString(b, FIELD_MODEL, m.model());
    putString(b, FIELD_API, m.api());
    putNumber(b, FIELD_PROMPT_TOKENS, m.promptTokens());
    putNumber(b, FIELD_RESERVED_TOKENS, m.reservedTokens());
    putString(b, FIELD_RESERVED_USD, m.reservedUsd());
    putBool(b, FIELD_STREAM, m.stream());
    putBool(b, FIELD_INCLUDE_USAGE, m.includeUsage());
    putBool(b, FIELD_PARTIAL_BODY, m.partialBody());
    putString(b, FIELD_RESERVATION, m.reservation());
    putString(b, FIELD_STORE, m.store());
    RateLimitHeaders r = m.rateLimit();
    if (r != null) {
      putNumber(b, FIELD_LIMIT_TOKENS, r.limit());
      putNumber(b, FIELD_REMAINING_TOKENS, r.remaining());
      putString(b, FIELD_RESET_TOKENS, r.reset());
    }
    putString(b, FIELD_DECISION, m.decision() == null ? null : m.decision().code());
    putString(b, FIELD_BINDING_SCOPE, m.bindingScope());
    putString(b, FIELD_BINDING_WINDOW, m.bindingWindow());
    RateLimitHeaders q = m.rateLimitRequests();
    if (q != null) {
      putNumber(b, FIELD_LIMIT_REQUESTS, q.limit());
      putNumber(b, FIELD_REMAINING_REQUESTS, q.remaining());
      putString(b, FIELD_RESET_REQUESTS, q.reset());
    }
    putString(b, FIELD_SHADOW_EXCEEDED, m.shadowExceeded());
    return b.build();
  }

  /** The metadata in a Struct Envoy forwarded (fields it does not know are ignored). */
  public static AuthzMetadata fromStruct(Struct s) {
    Map<String, Value> f = s.getFieldsMap();
    RateLimitHeaders rateLimit =
        f.containsKey(FIELD_REMAINING_TOKENS)
            ? new RateLimitHeaders(
                Unit.TOKENS,
                longOr0(f, FIELD_LIMIT_TOKENS),
                longOr0(f, FIELD_REMAINING_TOKENS),
                string(f, FIELD_RESET_TOKENS))
            : null;
    RateLimitHeaders rateLimitRequests =
        f.containsKey(FIELD_REMAINING_REQUESTS)
            ? new RateLimitHeaders(
                Unit.REQUESTS,
                longOr0(f, FIELD_LIMIT_REQUESTS),
                longOr0(f, FIELD_REMAINING_REQUESTS),
                string(f, FIELD_RESET_REQUESTS))
            : null;
    String decision = string(f, FIELD_DECISION);
    return AuthzMetadata.builder()
        .user(string(f, FIELD_USER))
        .conversation(string(f, FIELD_CONVERSATION))
        .key(string(f, FIELD_KEY))
        .tier(string(f, FIELD_TIER))
        .model(string(f, FIELD_MODEL))
        .api(string(f, FIELD_API))
        .promptTokens(number(f, FIELD_PROMPT_TOKENS))
        .reservedTokens(number(f, FIELD_RESERVED_TOKENS))
        .reservedUsd(string(f, FIELD_RESERVED_USD))
        .stream(bool(f, FIELD_STREAM))
        .includeUsage(bool(f, FIELD_INCLUDE_USAGE))
        .partialBody(bool(f, FIELD_PARTIAL_BODY))
        .reservation(string(f, FIELD_RESERVATION))
        .store(string(f, FIELD_STORE))
        .rateLimit(rateLimit)
        .decision(decision == null ? null : Reason.fromCode(decision))
        .bindingScope(string(f, FIELD_BINDING_SCOPE))
        .bindingWindow(string(f, FIELD_BINDING_WINDOW))
        .rateLimitRequests(rateLimitRequests)
        .shadowExceeded(string(f, FIELD_SHADOW_EXCEEDED))
        .build();
  }

  private static void putString(Struct.Builder b, String k, String v) {
    if (v != null) {
      b.putFields(k, Value.newBuilder().setStringValue(v).build());
    }
  }

  private static void putNumber(Struct.Builder b, String k, Long v) {
    if (v != null) {
      b.putFields(k, Value.newBuilder().setNumberValue(v.doubleValue()).build());
    }
  }

  private static void putBool(Struct.Builder b, String k, Boolean v) {
    if (v != null) {
      b.putFields(k, Value.newBuilder().setBoolValue(v).build());
    }
  }

  private static String string(Map<String, Value> f, String k) {
    Value v = f.get(k);
    return v != null && v.hasStringValue() ? v.getStringValue() : null;
  }

  private static Long number(Map<String, Value> f, String k) {
    Value v = f.get(k);
    return v != null && v.hasNumberValue() ? (long) v.getNumberValue() : null;
  }

  private static long longOr0(Map<String, Value> f, String k) {
    Long n = number(f, k);
    return n == null ? 0 : n;
  }

  private static Boolean bool(Map<String, Value> f, String k) {
    Value v = f.get(k);
    return v != null && v.hasBoolValue() ? v.getBoolValue() : null;
  }
}
