package dev.tollgate.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * The options every admin verb shares: where the server is, the admin key (from a file or the
 * environment, never from a flag value), TLS, output format and deadline.
 */
public final class AdminOptions {
  /** The default {@code --address}. */
  public static final String DEFAULT_ADDRESS = "127.0.0.1:50051";

  /** Environment variable holding the admin key. */
  public static final String KEY_ENV = "TOLLGATE_ADMIN_KEY";

  /** Environment variable holding the default address. */
  public static final String ADDRESS_ENV = "TOLLGATE_ADDRESS";

  /** The environment (injected by {@link Cli}; the process environment by default). */
  Map<String, String> env = System.getenv();

  /** Where {@code --key-file -} reads from. */
  InputStream stdin = System.in;

  @Option(
      names = "--address",
      paramLabel = "HOST:PORT",
      description =
          "Tollgate's gRPC address (default: $TOLLGATE_ADDRESS or " + DEFAULT_ADDRESS + ")")
  String address;

  @Option(
      names = "--key-file",
      paramLabel = "PATH",
      description =
          "file holding the admin key ('-': standard input); default: $TOLLGATE_ADMIN_KEY."
              + " There is no option taking the key itself: it would land in shell history")
  String keyFile;

  @Option(
      names = "--json",
      description = "print the response as JSON (protobuf's JSON mapping) instead of tables")
  boolean json;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      defaultValue = "5s",
      converter = DurationConverter.class,
      description = "deadline of the call: 500ms, 5s, 1m (default: ${DEFAULT-VALUE})")
  Duration timeout;

  @Option(
      names = "--tls",
      description = "connect with TLS (implied by --ca-file); default: plaintext")
  boolean tls;

  @Option(
      names = "--ca-file",
      paramLabel = "PEM",
      description = "CA certificate(s) trusted for the server's certificate (default: the JDK's)")
  Path caFile;

  @Option(
      names = "--cert-file",
      paramLabel = "PEM",
      description = "client certificate, when server.tls.client_ca_file requires one")
  Path certFile;

  @Option(
      names = "--key-file-tls",
      paramLabel = "PEM",
      description = "private key (PKCS#8 PEM) of --cert-file")
  Path tlsKeyFile;

  @Option(
      names = "--authority",
      paramLabel = "NAME",
      description = "server name checked against its certificate (default: the address's host)")
  String authority;

  /** The address to connect to. */
  String address() {
    if (address != null) {
      return address;
    }
    String a = env.get(ADDRESS_ENV);
    return a == null || a.isBlank() ? DEFAULT_ADDRESS : a.strip();
  }

  boolean useTls() {
    return tls || caFile != null || certFile != null;
  }

  /** The admin key: from {@code --key-file}, else {@code $TOLLGATE_ADMIN_KEY}. */
  String adminKey() {
    String key;
    String source;
    if (keyFile != null) {
      // the path is not echoed: a key given to --key-file by mistake must not be printed
      source = "--key-file";
      try {
        key =
            keyFile.equals("-")
                ? new String(stdin.readAllBytes(), StandardCharsets.UTF_8)
                : Files.readString(Path.of(keyFile), StandardCharsets.UTF_8);
      } catch (IOException | RuntimeException e) {
        String why =
            e instanceof java.nio.file.NoSuchFileException
                ? "no such file"
                : e instanceof java.nio.file.AccessDeniedException
                    ? "permission denied"
                    : "cannot read (" + e.getClass().getSimpleName() + ")";
        throw new CliException(Exits.USAGE, "--key-file: " + why);
      }
    } else {
      source = "$" + KEY_ENV;
      key = env.get(KEY_ENV);
      if (key == null) {
        throw new CliException(
            Exits.USAGE, "no admin key: pass --key-file PATH or set $" + KEY_ENV);
      }
    }
    key = key.strip();
    if (key.isEmpty()) {
      throw new CliException(Exits.USAGE, source + ": empty (expected: the admin key)");
    }
    if (key.contains("\n") || !key.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      throw new CliException(
          Exits.USAGE, source + ": not a key (expected one line of printable ASCII)");
    }
    return key;
  }

  /** Parses {@code 500ms}, {@code 5s}, {@code 1m} (a bare number: seconds). */
  public static final class DurationConverter implements ITypeConverter<Duration> {
    private static final Pattern P = Pattern.compile("(\\d{1,9})(ms|s|m)?");

    @Override
    public Duration convert(String value) {
      Matcher m = P.matcher(value.strip());
      if (!m.matches()) {
        throw new TypeConversionException("'" + value + "' (expected a duration: 500ms, 5s, 1m)");
      }
      long n = Long.parseLong(m.group(1));
      String unit = m.group(2) == null ? "s" : m.group(2);
      Duration d =
          switch (unit) {
            case "ms" -> Duration.ofMillis(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofSeconds(n);
          };
      if (d.isZero()) {
        throw new TypeConversionException("'" + value + "' (expected more than 0)");
      }
      return d;
    }
  }
}
