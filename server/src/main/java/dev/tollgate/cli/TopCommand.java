package dev.tollgate.cli;

import com.google.protobuf.MessageOrBuilder;
import dev.tollgate.admin.v1.TopBy;
import dev.tollgate.admin.v1.TopUsersRequest;
import dev.tollgate.admin.v1.TopUsersResponse;
import dev.tollgate.admin.v1.UserTotal;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code tollgate top}: TopUsers. */
@Command(
    name = "top",
    mixinStandardHelpOptions = true,
    description = "The users of a tier with the most tokens, dollars or refusals over a range.")
final class TopCommand extends AdminCommand {
  @Mixin RangeOptions range;

  /** {@code tokens}, {@code usd}, {@code refusals}. */
  enum ByArg {
    tokens(TopBy.TOKENS),
    usd(TopBy.USD),
    refusals(TopBy.REFUSALS);

    final TopBy proto;

    ByArg(TopBy proto) {
      this.proto = proto;
    }
  }

  @Option(
      names = "--by",
      paramLabel = "WHAT",
      defaultValue = "tokens",
      description = "tokens, usd or refusals (default: ${DEFAULT-VALUE})")
  ByArg by;

  @Option(
      names = "--limit",
      paramLabel = "N",
      defaultValue = "10",
      description = "how many users, 1 to 1000 (default: ${DEFAULT-VALUE})")
  int limit;

  @Override
  void check() {
    range.check();
    if (limit < 1 || limit > 1000) {
      throw new CliException(Exits.USAGE, "--limit " + limit + " (expected 1 to 1000)");
    }
  }

  @Override
  MessageOrBuilder call(AdminClient client) {
    return client.call(
        "TopUsers",
        s ->
            s.topUsers(
                TopUsersRequest.newBuilder()
                    .setTier(range.tier)
                    .setPeriod(range.period.proto)
                    .setFrom(range.from())
                    .setTo(range.to())
                    .setBy(by.proto)
                    .setLimit(limit)
                    .build()));
  }

  @Override
  void print(MessageOrBuilder m, PrintWriter out) {
    TopUsersResponse r = (TopUsersResponse) m;
    if (r.getUsersCount() == 0) {
      out.println("no usage in tier " + range.tier);
      return;
    }
    Fmt.Table t = new Fmt.Table(">#", "USER", ">REQUESTS", ">TOKENS", ">COST", ">REFUSALS");
    int i = 1;
    for (UserTotal u : r.getUsersList()) {
      t.row(
          i++,
          u.getUser(),
          Fmt.tokens(u.getRequests()),
          Fmt.tokens(u.getTokens()),
          Fmt.usd(u.getUsd()),
          Fmt.tokens(u.getRefusals()));
    }
    t.print(out);
  }
}
