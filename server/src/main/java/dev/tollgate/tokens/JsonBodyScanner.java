package dev.tollgate.tokens;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads a JSON response body chunk by chunk, in constant memory whatever its size, and hands on
 * only what accounting needs: the raw bytes of the top-level {@code usage} value, whether a
 * top-level {@code error} is set, the top-level {@code status}, and the output texts
 * ({@code choices[].message.content}, {@code choices[].text}, {@code output[].content[].text}),
 * long ones in pieces. Everything else — a 15 MiB base64 embedding, a million floats — is
 * skipped byte by byte without being kept.
 *
 * <p>It tracks nesting and keys, not full JSON validity; a byte that cannot continue the
 * document stops it ({@link #failed()}), keeping what was found before.
 */
final class JsonBodyScanner {
  /** What the scanner found. */
  interface Sink {
    /** The top-level {@code usage} value, raw; {@code tooLarge} when it passed {@link #MAX_USAGE_BYTES}. */
    void usage(byte[] raw, int len, boolean tooLarge);

    /** A top-level {@code error} that is not null. */
    void error();

    /** An output text, or the next piece of a long one. */
    void text(String text);
  }

  /** Largest {@code usage} value read. */
  static final int MAX_USAGE_BYTES = 4 << 10;
  /** Output texts are handed on in pieces of about this many bytes. */
  static final int TEXT_PIECE_BYTES = 4 << 10;
  /** Deepest nesting followed. */
  static final int MAX_DEPTH = 256;
  private static final int MAX_KEY_BYTES = 16;
  private static final int MAX_STATUS_BYTES = 32;

  // states
  private static final int VALUE = 0;
  private static final int KEY = 1;
  private static final int COLON = 2;
  private static final int AFTER = 3;
  private static final int STRING = 4;
  private static final int SCALAR = 5;
  private static final int DONE = 6;
  private static final int FAILED = 7;

  // keys of interest; ELEMENT stands for an array element
  private static final byte OTHER = 0;
  private static final byte USAGE = 1;
  private static final byte ERROR = 2;
  private static final byte STATUS = 3;
  private static final byte CHOICES = 4;
  private static final byte MESSAGE = 5;
  private static final byte CONTENT = 6;
  private static final byte TEXT = 7;
  private static final byte OUTPUT = 8;
  private static final byte ELEMENT = 9;
  private static final String[] KEY_NAMES = {null, "usage", "error", "status", "choices", "message", "content",
      "text", "output"};
  private static final byte[][] TEXT_PATHS = {
      {CHOICES, ELEMENT, MESSAGE, CONTENT},
      {CHOICES, ELEMENT, TEXT},
      {OUTPUT, ELEMENT, CONTENT, ELEMENT, TEXT}};

  // where a string's decoded bytes go
  private static final int TO_NOTHING = 0;
  private static final int TO_KEY = 1;
  private static final int TO_TEXT = 2;
  private static final int TO_STATUS = 3;

  private final Sink sink;
  private int state = VALUE;
  private int depth;
  private final boolean[] isArray = new boolean[MAX_DEPTH];
  private final byte[] path = new byte[MAX_DEPTH];
  private boolean stringIsKey;
  private int stringTo;
  private int escape; // 0 none, 1 after '\', 2..5 hex digits read + 2
  private int hex;
  private int highSurrogate;
  private final byte[] key = new byte[MAX_KEY_BYTES];
  private int keyLen;
  private final byte[] status = new byte[MAX_STATUS_BYTES];
  private int statusLen;
  private String statusValue;
  private byte[] text;
  private int textLen;
  private byte[] capture;
  private int captureLen;
  private boolean capturing;
  private boolean captureTooLarge;
  private int captureDepth;

  JsonBodyScanner(Sink sink) {
    this.sink = sink;
  }

  /** True when a byte could not continue the document; nothing more is read. */
  boolean failed() {
    return state == FAILED;
  }

  /** The top-level {@code status} string, or null. */
  String status() {
    return statusValue;
  }

  /** Bytes held now (its fixed state aside). */
  int retainedBytes() {
    return (text == null ? 0 : text.length) + (capture == null ? 0 : capture.length);
  }

  /** The next bytes of the body. */
  void feed(byte[] b, int off, int len) {
    int end = off + len;
    int i = off;
    while (i < end && state != FAILED) {
      switch (state) {
        case STRING -> i = string(b, i, end);
        case SCALAR -> i = scalar(b, i, end);
        default -> {
          structural(b[i]);
          i++;
        }
      }
    }
  }

  /** The body ended (or was cut): a text being read is handed on. */
  void finish() {
    if (state == STRING && stringTo == TO_TEXT) {
      flushText(textLen);
    }
    text = null;
    capture = null;
  }

  private void structural(byte c) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      keep(c);
      return;
    }
    if (state == VALUE && depth == 0 && (c == (byte) 0xEF || c == (byte) 0xBB || c == (byte) 0xBF)) {
      return; // a byte order mark
    }
    switch (state) {
      case VALUE -> {
        if (c == ']' && depth > 0 && isArray[depth - 1]) {
          keep(c);
          close();
        } else {
          startValue(c);
        }
      }
      case KEY -> {
        if (c == '"') {
          keep(c);
          state = STRING;
          stringIsKey = true;
          stringTo = TO_KEY;
          keyLen = 0;
        } else if (c == '}') {
          keep(c);
          close();
        } else {
          state = FAILED;
        }
      }
      case COLON -> {
        if (c == ':') {
          keep(c);
          state = VALUE;
        } else {
          state = FAILED;
        }
      }
      case AFTER -> {
        boolean array = isArray[depth - 1];
        if (c == ',') {
          keep(c);
          state = array ? VALUE : KEY;
        } else if (c == (array ? ']' : '}')) {
          keep(c);
          close();
        } else {
          state = FAILED;
        }
      }
      default -> { } // DONE: what follows the document is ignored
    }
  }

  private void startValue(byte c) {
    int role = role();
    if (role == USAGE) {
      capturing = true;
      captureTooLarge = false;
      captureLen = 0;
      captureDepth = depth;
    } else if (role == ERROR && c != 'n') {
      sink.error();
    }
    keep(c);
    switch (c) {
      case '{', '[' -> {
        if (depth == MAX_DEPTH) {
          state = FAILED;
          return;
        }
        isArray[depth] = c == '[';
        path[depth] = c == '[' ? ELEMENT : OTHER;
        depth++;
        state = c == '[' ? VALUE : KEY;
      }
      case '"' -> {
        state = STRING;
        stringIsKey = false;
        stringTo = role == TEXT ? TO_TEXT : role == STATUS ? TO_STATUS : TO_NOTHING;
        statusLen = 0;
      }
      default -> {
        if (c == '-' || (c >= '0' && c <= '9') || c == 't' || c == 'f' || c == 'n') {
          state = SCALAR;
        } else {
          state = FAILED;
        }
      }
    }
  }

  /** The role of the value about to start, from its path. */
  private int role() {
    if (depth == 1 && !isArray[0]) {
      byte k = path[0];
      if (k == USAGE || k == ERROR || k == STATUS) {
        return k;
      }
    }
    for (byte[] p : TEXT_PATHS) {
      if (depth == p.length && !isArray[0] && Arrays.equals(path, 0, depth, p, 0, depth)) {
        return TEXT;
      }
    }
    return OTHER;
  }

  private void close() {
    depth--;
    valueEnd();
  }

  private void valueEnd() {
    if (capturing && depth == captureDepth) {
      capturing = false;
      sink.usage(capture == null ? new byte[0] : capture, captureLen, captureTooLarge);
      capture = null;
    }
    state = depth == 0 ? DONE : AFTER;
  }

  private int scalar(byte[] b, int i, int end) {
    int start = i;
    while (i < end) {
      byte c = b[i];
      if (c == ',' || c == '}' || c == ']' || c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == ':'
          || c == '"' || c == '{' || c == '[') {
        keep(b, start, i - start);
        valueEnd();
        return i; // the delimiter is read as structure
      }
      i++;
    }
    keep(b, start, end - start);
    return end;
  }

  private int string(byte[] b, int i, int end) {
    if (escape == 0 && stringTo == TO_NOTHING && !capturing) {
      // skip fast: nothing of this string is kept
      while (i < end) {
        byte c = b[i];
        if (c == '"' || c == '\\') {
          break;
        }
        i++;
      }
      if (i == end) {
        return end;
      }
    }
    while (i < end) {
      byte c = b[i++];
      keep(c);
      if (escape == 0) {
        if (c == '"') {
          endString();
          return i;
        } else if (c == '\\') {
          escape = 1;
        } else {
          decoded(c);
        }
      } else if (escape == 1) {
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
      } else {
        int d = Character.digit(c, 16);
        if (d < 0) {
          state = FAILED;
          return end;
        }
        hex = hex * 16 + d;
        if (++escape == 6) {
          escape = 0;
          codeUnit(hex);
        }
      }
      if (stringTo == TO_NOTHING && !capturing && escape == 0) {
        return i; // back to the fast path
      }
    }
    return end;
  }

  private void endString() {
    if (highSurrogate != 0) {
      codePoint(0xFFFD);
    }
    if (stringIsKey) {
      path[depth - 1] = keyId();
      state = COLON;
      return;
    }
    if (stringTo == TO_TEXT) {
      flushText(textLen);
    } else if (stringTo == TO_STATUS) {
      statusValue = statusLen <= MAX_STATUS_BYTES ? new String(status, 0, statusLen, StandardCharsets.UTF_8) : null;
    }
    stringTo = TO_NOTHING;
    valueEnd();
  }

  private byte keyId() {
    if (keyLen > MAX_KEY_BYTES) {
      return OTHER;
    }
    for (byte k = USAGE; k < KEY_NAMES.length; k++) {
      String n = KEY_NAMES[k];
      if (n.length() == keyLen) {
        boolean same = true;
        for (int j = 0; j < keyLen && same; j++) {
          same = key[j] == n.charAt(j);
        }
        if (same) {
          return k;
        }
      }
    }
    return OTHER;
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

  /** A byte of the string's value (UTF-8 as it came, or an escape decoded). */
  private void decoded(byte c) {
    if (highSurrogate != 0) {
      codePoint(0xFFFD);
    }
    out(c);
  }

  private void out(byte c) {
    switch (stringTo) {
      case TO_KEY -> {
        if (keyLen < MAX_KEY_BYTES) {
          key[keyLen] = c;
        }
        keyLen = Math.min(keyLen + 1, MAX_KEY_BYTES + 1);
      }
      case TO_STATUS -> {
        if (statusLen < MAX_STATUS_BYTES) {
          status[statusLen] = c;
        }
        statusLen = Math.min(statusLen + 1, MAX_STATUS_BYTES + 1);
      }
      case TO_TEXT -> {
        if (text == null) {
          text = new byte[TEXT_PIECE_BYTES];
        }
        if (textLen == text.length) {
          flushText(pieceEnd());
        }
        text[textLen++] = c;
      }
      default -> { }
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
      sink.text(new String(text, 0, upTo, StandardCharsets.UTF_8));
      System.arraycopy(text, upTo, text, 0, textLen - upTo);
      textLen -= upTo;
    }
  }

  private void keep(byte c) {
    if (capturing) {
      if (captureLen == MAX_USAGE_BYTES) {
        captureTooLarge = true;
        return;
      }
      if (capture == null) {
        capture = new byte[MAX_USAGE_BYTES];
      }
      capture[captureLen++] = c;
    }
  }

  private void keep(byte[] b, int off, int len) {
    for (int j = 0; j < len && capturing; j++) {
      keep(b[off + j]);
    }
  }
}
