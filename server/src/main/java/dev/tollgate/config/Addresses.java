package dev.tollgate.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/** Checks of the address forms the configuration accepts; nothing is resolved. */
final class Addresses {
  private static final String OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
  private static final Pattern IPV4 = Pattern.compile(OCTET + "(\\." + OCTET + "){3}");
  private static final Pattern IPV4_PATTERN_PART =
      Pattern.compile("\\*|" + OCTET + "(-" + OCTET + ")?");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");
  private static final Pattern LABEL =
      Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");

  private Addresses() {}

  /** {@code 10.0.0.5}, {@code 0.0.0.0}, {@code ::1}, {@code fd00::5}. */
  static boolean isIpLiteral(String s) {
    if (IPV4.matcher(s).matches()) {
      return true;
    }
    if (!IPV6.matcher(s).matches()) {
      return false;
    }
    try {
      // a string with ':' is parsed as an IPv6 literal, never looked up
      return InetAddress.getByName(s) != null;
    } catch (UnknownHostException e) {
      return false;
    }
  }

  /**
   * A DNS name ({@code tollgate}, {@code tollgate.tollgate.svc.cluster.local}); not an all-numeric
   * one.
   */
  static boolean isHostName(String s) {
    if (s.isEmpty() || s.length() > 253 || s.matches("[0-9.]+")) {
      return false;
    }
    for (String label :
        s.endsWith(".") ? s.substring(0, s.length() - 1).split("\\.", -1) : s.split("\\.", -1)) {
      if (!LABEL.matcher(label).matches()) {
        return false;
      }
    }
    return true;
  }

  /** An IPv4 interface pattern: four parts, each {@code *}, a number or a range {@code a-b}. */
  static boolean isIpv4Pattern(String s) {
    String[] parts = s.split("\\.", -1);
    if (parts.length != 4) {
      return false;
    }
    for (String p : parts) {
      if (!IPV4_PATTERN_PART.matcher(p).matches()) {
        return false;
      }
    }
    return true;
  }
}
