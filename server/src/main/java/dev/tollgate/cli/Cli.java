package dev.tollgate.cli;

import java.io.InputStream;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.IFactory;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The admin verbs of {@code tollgate} ({@code usage}, {@code report}, {@code top}, {@code advise},
 * {@code override}, {@code reset}): each calls a running Tollgate's admin API, prints tables (or
 * {@code --json}), and exits with {@link Exits}' codes and a one-line message on error.
 */
public final class Cli {
  /** Options that would take the admin key as a value: refused before parsing, never echoed. */
  private static final Set<String> KEY_FLAGS =
      Set.of("--key", "--admin-key", "--api-key", "--token");

  private Cli() {}

  /** A factory that gives every {@link AdminOptions} this environment and standard input. */
  public static IFactory factory(Map<String, String> env, InputStream stdin) {
    return new IFactory() {
      @Override
      public <K> K create(Class<K> cls) throws Exception {
        K o = CommandLine.defaultFactory().create(cls);
        if (o instanceof AdminOptions a) {
          a.env = env;
          a.stdin = stdin;
        }
        return o;
      }
    };
  }

  /** Adds the admin verbs and the error handling to {@code tollgate}'s command line. */
  public static CommandLine install(CommandLine cl) {
    IFactory f = cl.getFactory();
    try {
      cl.addSubcommand(f.create(UsageCommand.class));
      cl.addSubcommand(f.create(ReportCommand.class));
      cl.addSubcommand(f.create(TopCommand.class));
      cl.addSubcommand(f.create(AdviseCommand.class));
      cl.addSubcommand(f.create(OverrideCommand.class));
      cl.addSubcommand(f.create(ResetCommand.class));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    IParameterExceptionHandler usage = cl.getParameterExceptionHandler();
    cl.setParameterExceptionHandler(
        (ex, args) -> {
          CommandLine c = ex.getCommandLine();
          if (!isAdmin(c.getCommand())) {
            return usage.handleParseException(ex, args);
          }
          c.getErr()
              .println(
                  "tollgate: "
                      + message(ex)
                      + " (see '"
                      + c.getCommandSpec().qualifiedName()
                      + " --help')");
          c.getErr().flush();
          return Exits.USAGE;
        });
    cl.setExecutionExceptionHandler(
        (ex, c, parseResult) -> {
          if (ex instanceof CliException e) {
            c.getErr().println("tollgate: " + e.getMessage());
            c.getErr().flush();
            return e.exitCode();
          }
          if (isAdmin(c.getCommand())) {
            c.getErr()
                .println(
                    "tollgate: "
                        + ex.getClass().getSimpleName()
                        + (ex.getMessage() == null ? "" : ": " + Exits.oneLine(ex.getMessage())));
            c.getErr().flush();
            return Exits.OTHER;
          }
          throw ex;
        });
    return cl;
  }

  /**
   * Refuses an option that would carry the admin key ({@code --key sk-...}): prints why, without
   * the value, and returns {@link Exits#USAGE}; else -1.
   */
  public static int refuseKeyFlags(String[] args, PrintWriter err) {
    for (String a : args) {
      if (a.equals("--")) {
        break;
      }
      int eq = a.indexOf('=');
      String name = eq < 0 ? a : a.substring(0, eq);
      if (KEY_FLAGS.contains(name)) {
        err.println(
            "tollgate: "
                + name
                + " is not accepted: a key on the command line lands in shell history and the"
                + " process list; use --key-file PATH ('-': standard input) or $"
                + AdminOptions.KEY_ENV);
        err.flush();
        return Exits.USAGE;
      }
    }
    return -1;
  }

  private static boolean isAdmin(Object command) {
    return command instanceof AdminCommand || command instanceof OverrideCommand;
  }

  private static String message(CommandLine.ParameterException ex) {
    if (ex instanceof UnmatchedArgumentException u) {
      // name an unknown option, not the values after it (one may be a secret)
      List<String> unmatched = u.getUnmatched();
      for (String s : unmatched) {
        if (s.startsWith("-")) {
          int eq = s.indexOf('=');
          return "unknown option '" + (eq < 0 ? s : s.substring(0, eq)) + "'";
        }
      }
      if (!unmatched.isEmpty()) {
        return "unexpected argument '" + unmatched.get(0) + "'";
      }
    }
    return Exits.oneLine(ex.getMessage());
  }
}
