package dev.tollgate.tokens;

import com.fasterxml.jackson.core.JsonParser;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Text tokens of one request. The encoding depends on {@code model}, which may come after the text
 * in the body (the Python SDK writes {@code messages} first): until it is known, texts are kept and
 * counted when {@link #resolve} is called.
 */
final class TextTokens {
  private final TokenCountCache cache;
  private CountingEncoding encoding;
  private List<String> pending;
  private long tokens;

  TextTokens(TokenCountCache cache) {
    this.cache = cache;
  }

  /** Counts the parser's current string (or field name), from its buffer when possible. */
  void text(JsonParser p) throws IOException {
    if (encoding != null) {
      char[] chars = p.getTextCharacters();
      int length = p.getTextLength();
      if (length > 0) {
        tokens += cache.countOrdinary(encoding, chars, p.getTextOffset(), length);
      }
    } else {
      defer(p.getText());
    }
  }

  void text(String s) {
    if (encoding != null) {
      if (s.length() >= TokenCountCache.MIN_CHARS) {
        char[] chars = s.toCharArray();
        tokens += cache.countOrdinary(encoding, chars, 0, chars.length);
      } else if (!s.isEmpty()) {
        tokens += encoding.countTokensOrdinary(s);
      }
    } else {
      defer(s);
    }
  }

  private void defer(String s) {
    if (pending == null) {
      pending = new ArrayList<>();
    }
    pending.add(s);
  }

  /** Sets the encoding and counts what was kept; later texts are counted at once. */
  void resolve(CountingEncoding e) {
    encoding = e;
    if (pending != null) {
      for (String s : pending) {
        text(s);
      }
      pending = null;
    }
  }

  CountingEncoding encoding() {
    return encoding;
  }

  long tokens() {
    return tokens;
  }
}
