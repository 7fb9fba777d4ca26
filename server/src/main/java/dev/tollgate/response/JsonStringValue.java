package dev.tollgate.response;

import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * The value of one JSON string as its bytes pass: escapes and surrogate pairs decoded, UTF-8 out,
 * into a short buffer (a key, a status) or, for an output text, handed on in pieces of about {@link
 * #TEXT_PIECE_BYTES} cut before a whitespace. Bytes of a string nobody wants are only checked,
 * never kept.
 */
final class JsonStringValue {
  /** Where the decoded bytes go. */
  static final int NOWHERE = 0;

  static final int SHORT = 1;
  static final int TEXT = 2;

  /** Outcomes of {@link #accept}. */
  static final int MORE = 0;

  static final int END = 1;
  static final int BAD = 2;

  /** Output texts are handed on in pieces of about this many bytes. */
  static final int TEXT_PIECE_BYTES = 4 << 10;

  /** Longest short value kept; longer ones are marked too long. */
  static final int MAX_SHORT_BYTES = 32;

  private final Consumer<String> texts;
  private int to;
  private int escape; // 0 none, 1 after '\', 2..5: hex digits read + 2
  private int hex;
  private int highSurrogate;
  private final byte[] shortBytes = new byte[MAX_SHORT_BYTES];
  private int shortLen;
  private byte[] text;
  private int textLen;

  JsonStringValue(Consumer<String> texts) {
    this.texts = texts;
  }

  /** A string starts (after its opening quote); its bytes go {@code to}. */
  void begin(int to) {
    this.to = to;
    escape = 0;
    highSurrogate = 0;
    shortLen = 0;
    textLen = 0;
  }

  /** Where this string's bytes go. */
  int to() {
    return to;
  }

  /** True between escapes (a fast skip may look for the closing quote or a backslash). */
  boolean plain() {
    return escape == 0;
  }

  /**
   * The next byte of the string: {@link #MORE}, {@link #END} (its closing quote) or {@link #BAD}.
   */
  int accept(byte c) {
    if (escape == 0) {
      if (c == '"') {
        end();
        return END;
      }
      if (c == '\\') {
        escape = 1;
      } else {
        decoded(c);
      }
      return MORE;
    }
    if (escape == 1) {
      escape = 0;
      switch (c) {
        case 'n' -> decoded((byte) '\n');
        case 't' -> decoded((byte) '\t');
        case 'r' -> decoded((byte) '\r');
        case 'b' -> decoded((byte) '\b');
        case 'f' -> decoded((byte) '\f');
        case 'u' -> {
          escape = 2;
          hex = 0;
        }
        default -> decoded(c); // \" \\ \/
      }
      return MORE;
    }
    int d = Character.digit(c, 16);
    if (d < 0) {
      return BAD;
    }
    hex = hex * 16 + d;
    if (++escape == 6) {
      escape = 0;
      codeUnit(hex);
    }
    return MORE;
  }

  /** The string was cut: what is left of a text is handed on. */
  void cut() {
    if (to == TEXT) {
      flushText(textLen);
    }
    text = null;
    textLen = 0;
  }

  /** True when the short value is exactly {@code ascii}. */
  boolean is(String ascii) {
    if (shortLen != ascii.length()) {
      return false;
    }
    for (int j = 0; j < shortLen; j++) {
      if (shortBytes[j] != ascii.charAt(j)) {
        return false;
      }
    }
    return true;
  }

  /** The short value, or null when it was longer than {@link #MAX_SHORT_BYTES}. */
  String shortValue() {
    return shortLen <= MAX_SHORT_BYTES
        ? new String(shortBytes, 0, shortLen, StandardCharsets.UTF_8)
        : null;
  }

  /** Bytes held now. */
  int retainedBytes() {
    return text == null ? 0 : text.length;
  }

  private void end() {
    if (highSurrogate != 0) {
      codePoint(0xFFFD);
    }
    if (to == TEXT) {
      flushText(textLen);
    }
  }

  private void codeUnit(int u) {
    if (u >= 0xD800 && u <= 0xDBFF) {
      if (highSurrogate != 0) {
        codePoint(0xFFFD);
      }
      highSurrogate = u;
    } else if (u >= 0xDC00 && u <= 0xDFFF) {
      if (highSurrogate != 0) {
        int cp = Character.toCodePoint((char) highSurrogate, (char) u);
        highSurrogate = 0;
        codePoint(cp);
      } else {
        codePoint(0xFFFD);
      }
    } else {
      codePoint(u);
    }
  }

  private void codePoint(int cp) {
    int pending = highSurrogate;
    highSurrogate = 0;
    if (pending != 0 && cp != 0xFFFD) {
      codePoint(0xFFFD);
    }
    if (cp < 0x80) {
      out((byte) cp);
    } else if (cp < 0x800) {
      out((byte) (0xC0 | cp >> 6));
      out((byte) (0x80 | cp & 0x3F));
    } else if (cp < 0x10000) {
      out((byte) (0xE0 | cp >> 12));
      out((byte) (0x80 | cp >> 6 & 0x3F));
      out((byte) (0x80 | cp & 0x3F));
    } else {
      out((byte) (0xF0 | cp >> 18));
      out((byte) (0x80 | cp >> 12 & 0x3F));
      out((byte) (0x80 | cp >> 6 & 0x3F));
      out((byte) (0x80 | cp & 0x3F));
    }
  }

  /** A byte of the value (UTF-8 as it came, or an escape decoded). */
  private void decoded(byte c) {
    if (highSurrogate != 0) {
      codePoint(0xFFFD);
    }
    out(c);
  }

  private void out(byte c) {
    if (to == SHORT) {
      if (shortLen < MAX_SHORT_BYTES) {
        shortBytes[shortLen] = c;
      }
      shortLen = Math.min(shortLen + 1, MAX_SHORT_BYTES + 1);
    } else if (to == TEXT) {
      if (text == null) {
        text = new byte[TEXT_PIECE_BYTES];
      }
      if (textLen == text.length) {
        flushText(pieceEnd());
      }
      text[textLen++] = c;
    }
  }

  /** Where to cut a full text buffer: before its last whitespace, else on a character boundary. */
  private int pieceEnd() {
    for (int j = textLen - 1; j > 0; j--) {
      byte c = text[j];
      if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
        return j;
      }
    }
    int j = textLen;
    while (j > 1 && (text[j - 1] & 0xC0) == 0x80) {
      j--;
    }
    // j - 1 starts the last (possibly incomplete) character
    return j > 1 ? j - 1 : textLen;
  }

  private void flushText(int upTo) {
    if (upTo > 0) {
      texts.accept(new String(text, 0, upTo, StandardCharsets.UTF_8));
      System.arraycopy(text, upTo, text, 0, textLen - upTo);
      textLen -= upTo;
    }
  }
}
