package dev.tollgate.ledger;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * What the ledger needs of a reservation that expires unsettled, held with it in the quota store as
 * text ({@link #encode()}): its dimensions and the prompt tokens counted at admission.
 *
 * @param tier the tier
 * @param user the end user
 * @param serviceKey the service key's name
 * @param model the requested model
 * @param promptTokens prompt tokens counted at admission
 */
public record LedgerTag(
    String tier, String user, String serviceKey, String model, long promptTokens) {
  public LedgerTag {
    Objects.requireNonNull(tier, "tier");
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(serviceKey, "serviceKey");
    Objects.requireNonNull(model, "model");
  }

  /** The key of the aggregate for something at {@code atMillis}. */
  public LedgerKey key(long atMillis) {
    return LedgerKey.of(atMillis, tier, user, serviceKey, model);
  }

  /** {@code l1|tier|user|key|model|prompt}, names URL-encoded. */
  public String encode() {
    return "l1|"
        + enc(tier)
        + "|"
        + enc(user)
        + "|"
        + enc(serviceKey)
        + "|"
        + enc(model)
        + "|"
        + promptTokens;
  }

  /** Parses {@link #encode()}, or returns null for anything else (no tag, another format). */
  public static LedgerTag parse(String text) {
    if (text == null || !text.startsWith("l1|")) {
      return null;
    }
    String[] p = text.split("\\|", -1);
    if (p.length != 6) {
      return null;
    }
    try {
      return new LedgerTag(dec(p[1]), dec(p[2]), dec(p[3]), dec(p[4]), Long.parseLong(p[5]));
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static String dec(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }
}
