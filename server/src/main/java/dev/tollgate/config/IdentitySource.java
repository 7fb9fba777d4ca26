package dev.tollgate.config;

/**
 * Where an end-user identity (or a conversation id) can come from. Written in configuration as
 * {@code header:NAME}, {@code jwt:CLAIM}, {@code body:FIELD} or {@code assertion}.
 */
public sealed interface IdentitySource {

  /** A request header (name lower-cased). */
  record Header(String name) implements IdentitySource {
    @Override
    public String toString() {
      return "header:" + name;
    }
  }

  /**
   * A claim of a JWT verified by Envoy's {@code jwt_authn} filter, read from its dynamic metadata
   * (any provider's payload).
   */
  record JwtClaim(String claim) implements IdentitySource {
    @Override
    public String toString() {
      return "jwt:" + claim;
    }
  }

  /** A top-level string field of the JSON body ({@code body:user}). */
  record BodyField(String field) implements IdentitySource {
    @Override
    public String toString() {
      return "body:" + field;
    }
  }

  /** The user named by a verified signed on-behalf-of assertion. */
  record Assertion() implements IdentitySource {
    @Override
    public String toString() {
      return "assertion";
    }
  }

  /**
   * Parses {@code header:NAME}, {@code jwt:CLAIM}, {@code body:FIELD}, {@code assertion}.
   *
   * @throws IllegalArgumentException saying what was expected
   */
  static IdentitySource parse(String text) {
    String expected = " (expected: header:NAME, jwt:CLAIM, body:FIELD or assertion)";
    if (text == null) {
      throw new IllegalArgumentException("null" + expected);
    }
    if (text.equals("assertion")) {
      return new Assertion();
    }
    int colon = text.indexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      throw new IllegalArgumentException("'" + text + "'" + expected);
    }
    String kind = text.substring(0, colon);
    String arg = text.substring(colon + 1);
    return switch (kind) {
      case "header" -> new Header(arg.toLowerCase(java.util.Locale.ROOT));
      case "jwt" -> new JwtClaim(arg);
      case "body" -> new BodyField(arg);
      default -> throw new IllegalArgumentException("'" + text + "'" + expected);
    };
  }
}
