package dev.tollgate.cli;

import com.google.protobuf.MessageOrBuilder;
import dev.tollgate.admin.v1.GetUsageRequest;
import dev.tollgate.admin.v1.GetUsageResponse;
import dev.tollgate.admin.v1.WindowUsage;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tollgate usage USER}: GetUsage. */
@Command(
    name = "usage",
    mixinStandardHelpOptions = true,
    description =
        "Show one user's (or conversation's, key's, the global) usage in every window of a tier.")
final class UsageCommand extends AdminCommand {
  @Parameters(
      index = "0",
      arity = "0..1",
      paramLabel = "ID",
      description = "user id (conversation id, service-key name with --scope); none for global")
  String id;

  @Option(
      names = "--tier",
      paramLabel = "TIER",
      defaultValue = "default",
      description = "tier whose limits apply (default: ${DEFAULT-VALUE})")
  String tier;

  @Option(
      names = "--scope",
      paramLabel = "SCOPE",
      defaultValue = "user",
      description = "user, conversation, key or global (default: ${DEFAULT-VALUE})")
  ScopeArg scope;

  @Override
  void check() {
    Ids.check(scope, id);
  }

  @Override
  MessageOrBuilder call(AdminClient client) {
    return client.call(
        "GetUsage",
        s ->
            s.getUsage(
                GetUsageRequest.newBuilder()
                    .setScope(scope.proto)
                    .setId(id == null ? "" : id)
                    .setTier(tier)
                    .build()));
  }

  @Override
  void print(MessageOrBuilder m, PrintWriter out) {
    GetUsageResponse r = (GetUsageResponse) m;
    out.println(r.getQuotaKey() + " (tier " + tier + ")");
    Fmt.Table t = new Fmt.Table("WINDOW", "UNIT", ">LIMIT", ">USED", ">REMAINING", ">RESETS IN");
    for (WindowUsage w : r.getWindowsList()) {
      t.row(
          w.getWindow(),
          w.getUnit(),
          Fmt.amount(w.getUnit(), w.getLimit()),
          Fmt.amount(w.getUnit(), w.getUsed()),
          Fmt.amount(w.getUnit(), w.getRemaining()),
          Fmt.duration(w.getResetSeconds()));
    }
    if (t.isEmpty()) {
      out.println("no " + scope + " limits in tier " + tier);
    } else {
      t.print(out);
    }
    if (r.hasOverride()) {
      out.println(
          "override: "
              + OverrideCommand.limits(r.getOverride().getLimitsList())
              + " (set "
              + OverrideCommand.when(r.getOverride().getUpdatedAtMillis())
              + ")");
    }
  }
}
