package dev.tollgate.cli;

import com.google.protobuf.MessageOrBuilder;
import dev.tollgate.admin.v1.ClearOverrideRequest;
import dev.tollgate.admin.v1.ClearOverrideResponse;
import dev.tollgate.admin.v1.LimitValue;
import dev.tollgate.admin.v1.ListOverridesRequest;
import dev.tollgate.admin.v1.ListOverridesResponse;
import dev.tollgate.admin.v1.Override;
import dev.tollgate.admin.v1.SetOverrideRequest;
import dev.tollgate.admin.v1.SetOverrideResponse;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tollgate override set|clear|list}: per-user or per-key limits. */
@Command(
    name = "override",
    mixinStandardHelpOptions = true,
    description = "Per-user or per-key limits that replace the tier's.",
    subcommands = {
      OverrideCommand.Set.class,
      OverrideCommand.Clear.class,
      OverrideCommand.List_.class
    })
final class OverrideCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @java.lang.Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(
        spec.commandLine(), "missing verb: set, clear or list");
  }

  /** {@code user} or {@code key}: what an override is for. */
  enum OverrideScope {
    user(dev.tollgate.admin.v1.Scope.USER),
    key(dev.tollgate.admin.v1.Scope.KEY);

    final dev.tollgate.admin.v1.Scope proto;

    OverrideScope(dev.tollgate.admin.v1.Scope proto) {
      this.proto = proto;
    }
  }

  /** {@code override set}. */
  @Command(
      name = "set",
      mixinStandardHelpOptions = true,
      description =
          "Replace every limit of the tier for one user or key with these (not merged with them).")
  static final class Set extends AdminCommand {
    private static final Pattern LIMIT = Pattern.compile("([^=\\s]+)=(.+)");
    private static final Pattern TOKENS = Pattern.compile("\\d{1,3}(,\\d{3})+|[\\d_]+");
    private static final Pattern USD = Pattern.compile("\\$?(\\d+(\\.\\d+)?)");

    @Parameters(index = "0", paramLabel = "ID", description = "user id or service-key name")
    String id;

    @Option(
        names = "--scope",
        paramLabel = "SCOPE",
        defaultValue = "user",
        description = "user or key (default: ${DEFAULT-VALUE})")
    OverrideScope scope;

    @Option(
        names = "--tokens",
        paramLabel = "WINDOW=N",
        description = "a token limit, e.g. 1d=50000 or 5m=20,000 (repeatable)")
    List<String> tokens = new ArrayList<>();

    @Option(
        names = "--usd",
        paramLabel = "WINDOW=AMOUNT",
        description = "a dollar limit, e.g. month=5 or month=5.00 (repeatable)")
    List<String> usd = new ArrayList<>();

    private final List<LimitValue> limits = new ArrayList<>();

    @java.lang.Override
    void check() {
      if (tokens.isEmpty() && usd.isEmpty()) {
        throw new CliException(
            Exits.USAGE, "no limits: give at least one --tokens WINDOW=N or --usd WINDOW=AMOUNT");
      }
      for (String t : tokens) {
        Matcher m = LIMIT.matcher(t);
        if (!m.matches() || !TOKENS.matcher(m.group(2)).matches()) {
          throw new CliException(
              Exits.USAGE, "--tokens '" + t + "' (expected WINDOW=N, e.g. 1d=50000)");
        }
        long n;
        try {
          n = Long.parseLong(m.group(2).replace(",", "").replace("_", ""));
        } catch (NumberFormatException e) {
          throw new CliException(Exits.USAGE, "--tokens '" + t + "': too large");
        }
        limits.add(LimitValue.newBuilder().setWindow(m.group(1)).setTokens(n).build());
      }
      for (String u : usd) {
        Matcher m = LIMIT.matcher(u);
        Matcher a = m.matches() ? USD.matcher(m.group(2)) : null;
        if (a == null || !a.matches()) {
          throw new CliException(
              Exits.USAGE,
              "--usd '" + u + "' (expected WINDOW=AMOUNT in dollars, e.g. month=5.00)");
        }
        limits.add(
            LimitValue.newBuilder()
                .setWindow(m.group(1))
                .setUsd(new BigDecimal(a.group(1)).doubleValue())
                .build());
      }
    }

    @java.lang.Override
    MessageOrBuilder call(AdminClient client) {
      return client.call(
          "SetOverride",
          s ->
              s.setOverride(
                  SetOverrideRequest.newBuilder()
                      .setScope(scope.proto)
                      .setId(id)
                      .addAllLimits(limits)
                      .build()));
    }

    @java.lang.Override
    void print(MessageOrBuilder m, PrintWriter out) {
      Override o = ((SetOverrideResponse) m).getOverride();
      out.println(
          "override set for "
              + AdminCommand.ScopeArg.name(o.getScope())
              + " "
              + o.getId()
              + ": "
              + limits(o.getLimitsList()));
    }
  }

  /** {@code override clear}. */
  @Command(
      name = "clear",
      mixinStandardHelpOptions = true,
      description = "Remove the override of one user or key: the tier's limits apply again.")
  static final class Clear extends AdminCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "user id or service-key name")
    String id;

    @Option(
        names = "--scope",
        paramLabel = "SCOPE",
        defaultValue = "user",
        description = "user or key (default: ${DEFAULT-VALUE})")
    OverrideScope scope;

    @java.lang.Override
    MessageOrBuilder call(AdminClient client) {
      return client.call(
          "ClearOverride",
          s ->
              s.clearOverride(
                  ClearOverrideRequest.newBuilder().setScope(scope.proto).setId(id).build()));
    }

    @java.lang.Override
    void print(MessageOrBuilder m, PrintWriter out) {
      out.println(
          ((ClearOverrideResponse) m).getCleared()
              ? "override cleared for " + scope + " " + id
              : "no override for " + scope + " " + id);
    }
  }

  /** {@code override list}. */
  @Command(name = "list", mixinStandardHelpOptions = true, description = "List the overrides.")
  static final class List_ extends AdminCommand {
    @Option(names = "--scope", paramLabel = "SCOPE", description = "user or key (default: both)")
    OverrideScope scope;

    @java.lang.Override
    MessageOrBuilder call(AdminClient client) {
      ListOverridesRequest.Builder b = ListOverridesRequest.newBuilder();
      if (scope != null) {
        b.setScope(scope.proto);
      }
      return client.call("ListOverrides", s -> s.listOverrides(b.build()));
    }

    @java.lang.Override
    void print(MessageOrBuilder m, PrintWriter out) {
      ListOverridesResponse r = (ListOverridesResponse) m;
      if (r.getOverridesCount() == 0) {
        out.println("no overrides");
        return;
      }
      Fmt.Table t = new Fmt.Table("SCOPE", "ID", "LIMITS", "UPDATED");
      for (Override o : r.getOverridesList()) {
        t.row(
            AdminCommand.ScopeArg.name(o.getScope()),
            o.getId(),
            limits(o.getLimitsList()),
            when(o.getUpdatedAtMillis()));
      }
      t.print(out);
    }
  }

  /** {@code 1d 50,000 tokens, month $5.00}. */
  static String limits(List<LimitValue> limits) {
    if (limits.isEmpty()) {
      return "no limits";
    }
    return limits.stream()
        .map(
            l ->
                l.getWindow()
                    + " "
                    + (l.getAmountCase() == LimitValue.AmountCase.USD
                        ? Fmt.usd(l.getUsd())
                        : Fmt.tokens(l.getTokens()) + " tokens"))
        .collect(Collectors.joining(", "));
  }

  /** {@code 2026-11-30 19:40Z}. */
  static String when(long millis) {
    if (millis <= 0) {
      return "-";
    }
    return DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm'Z'")
        .format(Instant.ofEpochMilli(millis).atOffset(ZoneOffset.UTC));
  }
}
