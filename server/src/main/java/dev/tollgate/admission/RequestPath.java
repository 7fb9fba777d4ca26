package dev.tollgate.admission;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A request's {@code :path} as a route sees it: the spelling Envoy hands over reduced to the one
 * path the upstream serves, so that no spelling escapes counting. The query and fragment are cut
 * off; percent-encoded unreserved characters are decoded (other escapes kept, their hex in upper
 * case); {@code //} collapses; {@code .} and {@code ..} segments are resolved, never above the
 * root. What servers disagree on is refused rather than guessed: an encoded {@code /} or {@code \},
 * a literal {@code \}, a dot segment spelled with an escape ({@code %2e%2e}) or with parameters
 * ({@code ..;x}), a malformed escape, control characters. Matching is case-insensitive: {@link
 * #key()} is the path in lower case.
 */
public sealed interface RequestPath {

  /**
   * A path that can be routed.
   *
   * @param path the normalized path, case kept ({@code /v1/chat/completions}); empty when the
   *     request had none
   */
  record Normal(String path) implements RequestPath {
    /** The path in lower case, for case-insensitive matching. */
    public String key() {
      return path.toLowerCase(Locale.ROOT);
    }
  }

  /**
   * A path whose meaning depends on who reads it.
   *
   * @param why what is wrong with it, for the client's 400
   */
  record Invalid(String why) implements RequestPath {}

  /** The path of a request's {@code :path} ({@code null} reads as no path). */
  static RequestPath of(String raw) {
    if (raw == null || raw.isEmpty()) {
      return new Normal("");
    }
    int end = raw.length();
    int q = raw.indexOf('?');
    if (q >= 0) {
      end = q;
    }
    int h = raw.indexOf('#');
    if (h >= 0 && h < end) {
      end = h;
    }
    String p = raw.substring(0, end);
    if (!p.startsWith("/")) {
      return new Invalid("the path does not start with '/'");
    }
    List<String> segments = new ArrayList<>();
    int i = 1;
    boolean trailingSlash = false;
    while (i <= p.length()) {
      int next = p.indexOf('/', i);
      if (next < 0) {
        next = p.length();
      }
      String raw1 = p.substring(i, next);
      StringBuilder seg = new StringBuilder(raw1.length());
      boolean escapedDot = false;
      for (int k = 0; k < raw1.length(); k++) {
        char c = raw1.charAt(k);
        if (c == '%') {
          int hi = k + 1 < raw1.length() ? Character.digit(raw1.charAt(k + 1), 16) : -1;
          int lo = k + 2 < raw1.length() ? Character.digit(raw1.charAt(k + 2), 16) : -1;
          if (hi < 0 || lo < 0) {
            return new Invalid("a malformed percent-escape");
          }
          int b = hi * 16 + lo;
          k += 2;
          if (b == '/' || b == '\\') {
            return new Invalid("an encoded '/' or '\\' in the path");
          }
          if (b < 0x20 || b == 0x7f) {
            return new Invalid("an encoded control character in the path");
          }
          if (unreserved(b)) {
            seg.append((char) b);
            escapedDot |= b == '.';
          } else {
            seg.append('%').append(Character.toUpperCase(Character.forDigit(hi, 16)));
            seg.append(Character.toUpperCase(Character.forDigit(lo, 16)));
          }
        } else if (c == '\\') {
          return new Invalid("a '\\' in the path");
        } else if (c < 0x20 || c == 0x7f) {
          return new Invalid("a control character in the path");
        } else {
          seg.append(c);
        }
      }
      String s = seg.toString();
      String bare = s.indexOf(';') >= 0 ? s.substring(0, s.indexOf(';')) : s;
      boolean dot = bare.equals(".") || bare.equals("..");
      if (dot && (escapedDot || !bare.equals(s))) {
        return new Invalid("a dot segment spelled with an escape or parameters");
      }
      boolean last = next == p.length();
      if (s.isEmpty() || s.equals(".")) {
        trailingSlash = last;
      } else if (s.equals("..")) {
        if (!segments.isEmpty()) {
          segments.remove(segments.size() - 1);
        }
        trailingSlash = last;
      } else {
        segments.add(s);
        trailingSlash = false;
      }
      i = next + 1;
    }
    StringBuilder out = new StringBuilder(p.length());
    for (String s : segments) {
      out.append('/').append(s);
    }
    if (segments.isEmpty() || trailingSlash) {
      out.append('/');
    }
    return new Normal(out.toString());
  }

  private static boolean unreserved(int b) {
    return (b >= 'a' && b <= 'z')
        || (b >= 'A' && b <= 'Z')
        || (b >= '0' && b <= '9')
        || b == '-'
        || b == '.'
        || b == '_'
        || b == '~';
  }
}
