package dev.tollgate.tokens;

/** One {@link Encodings} per test JVM: loading them costs about a second. */
public final class SharedEncodings {
  private static Encodings encodings;
  private static Encodings jtokkitOnly;
  private static com.knuddels.jtokkit.api.EncodingRegistry registry;

  private SharedEncodings() {}

  public static synchronized Encodings get() {
    if (encodings == null) {
      encodings = new Encodings();
    }
    return encodings;
  }

  /**
   * jtokkit's own encoding, untouched (aliases: {@code gpt2} is r50k, {@code o200k_harmony} o200k).
   */
  static synchronized com.knuddels.jtokkit.api.Encoding raw(String name) {
    if (registry == null) {
      registry = com.knuddels.jtokkit.Encodings.newDefaultEncodingRegistry();
    }
    String base =
        name.equals("gpt2") ? "r50k_base" : name.equals("o200k_harmony") ? "o200k_base" : name;
    return registry.getEncoding(base).orElseThrow();
  }

  /** Encodings without Tollgate's o200k counter: jtokkit alone, the reference. */
  static synchronized Encodings jtokkitOnly() {
    if (jtokkitOnly == null) {
      jtokkitOnly = new Encodings(false);
    }
    return jtokkitOnly;
  }
}
