package dev.tollgate.quota;

/** Who a quota belongs to. */
public enum Scope {
  /** One end user (the resolved identity). */
  USER("user"),
  /** One conversation ({@code openai-conversation-id} or similar). */
  CONVERSATION("conversation"),
  /** One service key (the calling service). */
  KEY("key"),
  /** Everything: an organisation-wide budget. */
  GLOBAL("global");

  private final String configName;

  Scope(String configName) {
    this.configName = configName;
  }

  /** The name used in configuration and quota keys ({@code user}, {@code global}, ...). */
  public String configName() {
    return configName;
  }

  /** Parses a configuration name; returns null if unknown. */
  public static Scope fromConfigName(String name) {
    for (Scope s : values()) {
      if (s.configName.equals(name)) {
        return s;
      }
    }
    return null;
  }
}
