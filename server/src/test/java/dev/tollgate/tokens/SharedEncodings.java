package dev.tollgate.tokens;

/** One {@link Encodings} per test JVM: loading them costs about a second. */
final class SharedEncodings {
  private static Encodings encodings;
  private static Encodings jtokkitOnly;

  private SharedEncodings() {}

  static synchronized Encodings get() {
    if (encodings == null) {
      encodings = new Encodings();
    }
    return encodings;
  }

  /** Encodings without Tollgate's o200k counter: jtokkit alone, the reference. */
  static synchronized Encodings jtokkitOnly() {
    if (jtokkitOnly == null) {
      jtokkitOnly = new Encodings(false);
    }
    return jtokkitOnly;
  }
}
