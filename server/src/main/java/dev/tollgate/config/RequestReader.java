package dev.tollgate.config;

import java.util.List;

/** Reads {@code request}: how request bodies are admitted. */
final class RequestReader {
  static final SectionKeys REQUEST = SectionKeys.of("request", "partial_body");

  /** The keys it reads, at every level. */
  static final List<SectionKeys> KEYS = List.of(SectionKeys.of("", "request"), REQUEST);

  private RequestReader() {}

  static RequestConfig read(Section root) {
    Section n = root.section("request", REQUEST, false);
    if (n == null) {
      return RequestConfig.DEFAULTS;
    }
    return new RequestConfig(n.oneOf("partial_body", RequestConfig.DEFAULTS.partialBody()));
  }
}
