package dev.tollgate.cli;

/** The ID argument of the verbs that take a scope. */
final class Ids {
  private Ids() {}

  static void check(AdminCommand.ScopeArg scope, String id) {
    if (scope == AdminCommand.ScopeArg.global) {
      if (id != null && !id.isEmpty()) {
        throw new CliException(Exits.USAGE, "--scope global takes no ID (got '" + id + "')");
      }
    } else if (id == null || id.isEmpty()) {
      throw new CliException(
          Exits.USAGE, "missing ID: the " + scope + " id (--scope " + scope + ")");
    }
  }
}
