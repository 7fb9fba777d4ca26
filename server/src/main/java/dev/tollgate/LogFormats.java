package dev.tollgate;

import dev.tollgate.config.ServerConfig;
import dev.tollgate.logging.LogEncoder;

/** Applies {@code server.log_format} to the process's log lines. */
final class LogFormats {
  private LogFormats() {}

  /** Writes every following log line in {@code format}. */
  static void apply(ServerConfig.LogFormat format) {
    LogEncoder.useJson(format == ServerConfig.LogFormat.JSON);
  }
}
