package dev.tollgate.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** A verb that calls the admin API once and prints the answer as tables or as JSON. */
abstract class AdminCommand implements Callable<Integer> {
  @Mixin AdminOptions admin;

  @Spec CommandSpec spec;

  /** Makes the call and returns the response; {@link #print} shows it as tables. */
  abstract MessageOrBuilder call(AdminClient client);

  /** The response for people. */
  abstract void print(MessageOrBuilder response, PrintWriter out);

  /**
   * Checks the arguments before connecting; throws {@link CliException} with {@link Exits#USAGE}.
   */
  void check() {}

  @Override
  public final Integer call() {
    check();
    MessageOrBuilder response;
    try (AdminClient client = AdminClient.open(admin)) {
      response = call(client);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (admin.json) {
      out.println(json(response));
    } else {
      print(response, out);
    }
    out.flush();
    return Exits.OK;
  }

  static String json(MessageOrBuilder m) {
    try {
      return JsonFormat.printer().alwaysPrintFieldsWithNoPresence().print(m);
    } catch (InvalidProtocolBufferException e) {
      throw new CliException(Exits.OTHER, "cannot print the response as JSON: " + e.getMessage());
    }
  }

  /** {@code user}, {@code conversation}, {@code key}, {@code global}. */
  enum ScopeArg {
    user(dev.tollgate.admin.v1.Scope.USER),
    conversation(dev.tollgate.admin.v1.Scope.CONVERSATION),
    key(dev.tollgate.admin.v1.Scope.KEY),
    global(dev.tollgate.admin.v1.Scope.GLOBAL);

    final dev.tollgate.admin.v1.Scope proto;

    ScopeArg(dev.tollgate.admin.v1.Scope proto) {
      this.proto = proto;
    }

    static String name(dev.tollgate.admin.v1.Scope s) {
      for (ScopeArg a : values()) {
        if (a.proto == s) {
          return a.name();
        }
      }
      return s.name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** {@code day}, {@code week}, {@code month}. */
  enum PeriodArg {
    day(dev.tollgate.admin.v1.Period.DAY),
    week(dev.tollgate.admin.v1.Period.WEEK),
    month(dev.tollgate.admin.v1.Period.MONTH);

    final dev.tollgate.admin.v1.Period proto;

    PeriodArg(dev.tollgate.admin.v1.Period proto) {
      this.proto = proto;
    }

    static String name(dev.tollgate.admin.v1.Period p) {
      return p == dev.tollgate.admin.v1.Period.PERIOD_UNSPECIFIED
          ? "month"
          : p.name().toLowerCase(java.util.Locale.ROOT);
    }
  }
}
