package dev.tollgate.cli;

import com.google.protobuf.MessageOrBuilder;
import dev.tollgate.admin.v1.ResetUsageRequest;
import dev.tollgate.admin.v1.ResetUsageResponse;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tollgate reset USER}: ResetUsage. */
@Command(
    name = "reset",
    mixinStandardHelpOptions = true,
    description = "Forget all quota usage of one user (conversation, key, or the global counter).")
final class ResetCommand extends AdminCommand {
  @Parameters(
      index = "0",
      arity = "0..1",
      paramLabel = "ID",
      description = "user id (conversation id, service-key name with --scope); none for global")
  String id;

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
        "ResetUsage",
        s ->
            s.resetUsage(
                ResetUsageRequest.newBuilder()
                    .setScope(scope.proto)
                    .setId(id == null ? "" : id)
                    .build()));
  }

  @Override
  void print(MessageOrBuilder m, PrintWriter out) {
    out.println("reset " + ((ResetUsageResponse) m).getQuotaKey());
  }
}
