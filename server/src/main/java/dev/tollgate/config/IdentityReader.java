package dev.tollgate.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Reads {@code identity}: where the user and the conversation come from, and signed assertions. */
final class IdentityReader {
  static final SectionKeys IDENTITY =
      SectionKeys.of("identity", "sources", "fallback", "conversation_sources", "assertion");
  static final SectionKeys ASSERTION =
      SectionKeys.of("identity.assertion", "header", "keys", "max_ttl", "required");

  /** The keys it reads, at every level. */
  static final List<SectionKeys> KEYS =
      List.of(SectionKeys.of("", "identity"), IDENTITY, ASSERTION);

  private IdentityReader() {}

  static IdentityConfig read(Section root) {
    IdentityConfig d = IdentityConfig.DEFAULTS;
    Section n = root.section("identity", IDENTITY, false);
    if (n == null) {
      return d;
    }
    List<IdentitySource> sources = n.has("sources") ? sources(n, "sources") : d.sources();
    List<IdentitySource> conv =
        n.has("conversation_sources")
            ? sources(n, "conversation_sources")
            : d.conversationSources();
    String fallback = d.fallback();
    if (n.has("fallback")) {
      fallback = n.get("fallback").isNull() ? null : n.string("fallback", null);
      if (fallback != null && (fallback.isEmpty() || fallback.length() > 256)) {
        n.error("fallback", "'" + fallback + "' (expected: 1..256 characters, or null to refuse)");
      }
    }
    Section a = n.section("assertion", ASSERTION, false);
    return new IdentityConfig(sources, fallback, conv, a == null ? d.assertion() : assertion(a));
  }

  private static List<IdentitySource> sources(Section n, String key) {
    List<IdentitySource> out = new ArrayList<>();
    List<String> names = n.strings(key, false);
    for (int i = 0; i < names.size(); i++) {
      try {
        out.add(IdentitySource.parse(names.get(i)));
      } catch (IllegalArgumentException e) {
        n.error(key + "[" + i + "]", e.getMessage());
      }
    }
    return out;
  }

  /** The assertion settings, or null (with errors) when unusable. */
  private static AssertionConfig assertion(Section a) {
    String header = a.string("header", AssertionConfig.DEFAULT_HEADER);
    List<Secret> keys = new ArrayList<>();
    JsonNode ks = a.get("keys");
    if (ks == null || !ks.isArray() || ks.isEmpty()) {
      a.error(
          "keys",
          "missing or empty (expected: a list of 1 or 2 HMAC keys, e.g. [\"${ASSERTION_KEY}\"])");
    } else {
      for (int i = 0; i < ks.size(); i++) {
        Secret k =
            a.reading()
                .secretItem(
                    ks.get(i),
                    a.path("keys") + "[" + i + "]",
                    16,
                    "too short (expected: at least 16 characters)");
        if (k != null) {
          keys.add(k);
        }
      }
    }
    Duration ttl = a.has("max_ttl") ? a.duration("max_ttl") : AssertionConfig.DEFAULT_MAX_TTL;
    boolean required = a.bool("required", AssertionConfig.DEFAULT_REQUIRED);
    if (header == null || keys.isEmpty() || ttl == null) {
      return null;
    }
    return new AssertionConfig(header.toLowerCase(Locale.ROOT), keys, ttl, required);
  }
}
