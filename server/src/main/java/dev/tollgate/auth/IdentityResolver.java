package dev.tollgate.auth;

import dev.tollgate.config.IdentityConfig;
import dev.tollgate.config.IdentitySource;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.List;
import java.util.Map;

/**
 * Finds the end user and the conversation from the configured sources, in order. Values are
 * normalised and checked ({@link #normalize}): NFC, white space trimmed; at most {@value
 * #MAX_BYTES} bytes of UTF-8; no control, format (zero-width, bidi), or lone surrogate characters;
 * not blank. An empty value counts as absent.
 */
public final class IdentityResolver {
  /** Longest identity value accepted, in UTF-8 bytes. */
  public static final int MAX_BYTES = 256;

  private final List<IdentitySource> userSources;
  private final List<IdentitySource> conversationSources;
  private final String fallback;

  public IdentityResolver(IdentityConfig config) {
    this.userSources = config.sources();
    this.conversationSources = config.conversationSources();
    this.fallback = config.fallback();
  }

  /** What the sources can read from one request. */
  public interface RequestView {
    /** A request header by lower-case name, or null. */
    String header(String name);

    /** A claim of the verified JWT ({@code a.b} walks nested objects), or null. */
    Object jwtClaim(String claim);

    /** A top-level string field of the body, or null. */
    String bodyField(String field);

    /** The verified assertion, or null. */
    VerifiedAssertion assertion();
  }

  /**
   * Resolves user and conversation.
   *
   * @throws InvalidIdentityException for a bad value, or when no source gives a user and there is
   *     no fallback
   */
  public Identity resolve(RequestView request) {
    String user = null;
    String userSource = null;
    for (IdentitySource s : userSources) {
      String v = read(s, request, false);
      if (v != null) {
        user = v;
        userSource = s.toString();
        break;
      }
    }
    if (user == null) {
      if (fallback == null) {
        throw new InvalidIdentityException(
            "identity", "no end-user identity in the request (sources: " + userSources + ")");
      }
      user = fallback;
      userSource = "fallback";
    }
    String conversation = null;
    for (IdentitySource s : conversationSources) {
      String v = read(s, request, true);
      if (v != null) {
        conversation = v;
        break;
      }
    }
    return new Identity(user, userSource, conversation);
  }

  private static String read(IdentitySource source, RequestView request, boolean conversation) {
    Object raw;
    if (source instanceof IdentitySource.Header h) {
      raw = request.header(h.name());
    } else if (source instanceof IdentitySource.JwtClaim j) {
      raw = request.jwtClaim(j.claim());
      if (raw != null && !(raw instanceof String) && !(raw instanceof Number)) {
        throw new InvalidIdentityException(
            source.toString(), "identity from " + source + " must be a string");
      }
    } else if (source instanceof IdentitySource.BodyField b) {
      raw = request.bodyField(b.field());
    } else {
      VerifiedAssertion a = request.assertion();
      raw = a == null ? null : (conversation ? a.conversation() : a.subject());
    }
    if (raw == null) {
      return null;
    }
    String value = raw instanceof Number n ? canonicalNumber(n) : raw.toString();
    if (value.isEmpty()) {
      return null;
    }
    return normalize(source.toString(), value);
  }

  private static String canonicalNumber(Number n) {
    if (n instanceof Double || n instanceof Float) {
      double d = n.doubleValue();
      if (d == Math.rint(d) && Math.abs(d) < 1e15) {
        return Long.toString((long) d);
      }
    }
    return n.toString();
  }

  /**
   * One identity value as it is counted: Unicode NFC, leading and trailing white space removed,
   * then {@link #check checked}. Two spellings of one name (composed or not, padded or not) are one
   * user; a value that only looks like another (zero-width or bidi characters) is refused.
   *
   * @param source the identity source, for the message
   * @param value a non-empty value
   * @return the normalised value
   * @throws InvalidIdentityException if the value is blank or fails {@link #check}
   */
  public static String normalize(String source, String value) {
    if (value.length() > MAX_BYTES) {
      throw tooLong(source);
    }
    String v =
        Normalizer.isNormalized(value, Normalizer.Form.NFC)
            ? value
            : Normalizer.normalize(value, Normalizer.Form.NFC);
    v = trim(v);
    if (v.isEmpty()) {
      throw new InvalidIdentityException(
          source, "identity from " + source + " is blank (only white space)");
    }
    check(source, v);
    return v;
  }

  /**
   * Checks one identity value.
   *
   * @throws InvalidIdentityException if too long, or with control characters, format characters
   *     (Unicode category Cf: zero-width, bidi controls, soft hyphen, ...) or lone surrogates
   */
  public static void check(String source, String value) {
    if (value.length() > MAX_BYTES || value.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
      throw tooLong(source);
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029') {
        throw new InvalidIdentityException(
            source, "identity from " + source + " contains control characters");
      }
    }
    for (int i = 0; i < value.length(); ) {
      int cp = value.codePointAt(i);
      int type = Character.getType(cp);
      if (type == Character.FORMAT) {
        throw new InvalidIdentityException(
            source,
            "identity from "
                + source
                + " contains invisible format characters (zero-width or bidi controls, Unicode category Cf)");
      }
      if (type == Character.SURROGATE) {
        throw new InvalidIdentityException(
            source, "identity from " + source + " is not valid UTF-16 text");
      }
      i += Character.charCount(cp);
    }
  }

  private static InvalidIdentityException tooLong(String source) {
    return new InvalidIdentityException(
        source, "identity from " + source + " is longer than " + MAX_BYTES + " bytes");
  }

  /** Removes leading and trailing white space, Unicode space separators included. */
  private static String trim(String v) {
    int start = 0;
    int end = v.length();
    while (start < end && isBlank(v.codePointAt(start))) {
      start += Character.charCount(v.codePointAt(start));
    }
    while (end > start && isBlank(v.codePointBefore(end))) {
      end -= Character.charCount(v.codePointBefore(end));
    }
    return v.substring(start, end);
  }

  private static boolean isBlank(int cp) {
    return Character.isWhitespace(cp) || Character.isSpaceChar(cp);
  }

  /** Reads {@code a.b.c} from nested maps. */
  public static Object walk(Map<String, Object> root, String dottedPath) {
    if (root == null) {
      return null;
    }
    Object direct = root.get(dottedPath);
    if (direct != null) {
      return direct;
    }
    Object cur = root;
    for (String part : dottedPath.split("\\.")) {
      if (!(cur instanceof Map<?, ?> m)) {
        return null;
      }
      cur = m.get(part);
    }
    return cur;
  }
}
