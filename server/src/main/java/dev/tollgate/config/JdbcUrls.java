package dev.tollgate.config;

import java.util.regex.Pattern;

/** JDBC URLs as they may be shown: a password given inside the URL is masked. */
public final class JdbcUrls {
  private static final Pattern PASSWORD =
      Pattern.compile("(?i)(password=)[^&;]*|(//[^/:@]*:)[^@/]*(@)");

  private JdbcUrls() {}

  /** {@code url} with any password in it replaced by {@code ****}. */
  public static String redact(String url) {
    return PASSWORD
        .matcher(url)
        .replaceAll(
            m -> m.group(1) != null ? m.group(1) + "****" : m.group(2) + "****" + m.group(3));
  }
}
