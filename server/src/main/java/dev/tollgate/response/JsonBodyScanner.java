package dev.tollgate.response;

import java.util.Arrays;

/**
 * Reads a JSON response body chunk by chunk, in constant memory whatever its size, and hands on
 * only what accounting needs: the raw bytes of the top-level {@code usage} value, whether a
 * top-level {@code error} is set, the top-level {@code status}, and the output texts ({@code
 * choices[].message.content}, {@code choices[].text}, {@code output[].content[].text}), long ones
 * in pieces ({@link JsonStringValue}). Everything else — a 15 MiB base64 embedding, a million
 * floats — is skipped byte by byte without being kept.
 *
 * <p>It tracks nesting and keys, not full JSON validity; a byte that cannot continue the document
 * stops it ({@link #failed()}), keeping what was found before.
 */
final class JsonBodyScanner {
  /** What the scanner found. */
  interface Sink {
    /**
     * The top-level {@code usage} value, raw; {@code tooLarge} when it passed {@link
     * #MAX_USAGE_BYTES}.
     */
    void usage(byte[] raw, int len, boolean tooLarge);

    /** A top-level {@code error} that is not null. */
    void error();

    /** An output text, or the next piece of a long one. */
    void text(String text);
  }

  /** Largest {@code usage} value read. */
  static final int MAX_USAGE_BYTES = 4 << 10;

  /** Deepest nesting followed. */
  static final int MAX_DEPTH = 256;

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
  private static final String[] KEY_NAMES = {
    null, "usage", "error", "status", "choices", "message", "content", "text", "output"
  };
  private static final byte[][] TEXT_PATHS = {
    {CHOICES, ELEMENT, MESSAGE, CONTENT},
    {CHOICES, ELEMENT, TEXT},
    {OUTPUT, ELEMENT, CONTENT, ELEMENT, TEXT}
  };

  private final Sink sink;
  private final JsonStringValue string;
  private int state = VALUE;
  private int depth;
  private final boolean[] isArray = new boolean[MAX_DEPTH];
  private final byte[] path = new byte[MAX_DEPTH];
  private boolean stringIsKey;
  private boolean stringIsStatus;
  private String statusValue;
  private byte[] capture;
  private int captureLen;
  private boolean capturing;
  private boolean captureTooLarge;
  private int captureDepth;

  JsonBodyScanner(Sink sink) {
    this.sink = sink;
    this.string = new JsonStringValue(sink::text);
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
    return string.retainedBytes() + (capture == null ? 0 : capture.length);
  }

  /** The next bytes of the body. */
  void feed(byte[] b, int off, int len) {
    int end = off + len;
    int i = off;
    while (i < end && state != FAILED) {
      switch (state) {
        case STRING -> i = stringBytes(b, i, end);
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
    if (state == STRING) {
      string.cut();
    }
    capture = null;
  }

  private void structural(byte c) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      keep(c);
      return;
    }
    if (state == VALUE
        && depth == 0
        && (c == (byte) 0xEF || c == (byte) 0xBB || c == (byte) 0xBF)) {
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
          stringIsStatus = false;
          string.begin(JsonStringValue.SHORT);
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
      default -> {} // DONE: what follows the document is ignored
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
        stringIsStatus = role == STATUS;
        string.begin(
            role == TEXT
                ? JsonStringValue.TEXT
                : role == STATUS ? JsonStringValue.SHORT : JsonStringValue.NOWHERE);
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
    if (depth < 3 || isArray[0] || (path[0] != CHOICES && path[0] != OUTPUT)) {
      return OTHER; // embeddings' data[].embedding[] and the like
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
      if (c == ',' || c == '}' || c == ']' || c == ' ' || c == '\n' || c == '\r' || c == '\t'
          || c == ':' || c == '"' || c == '{' || c == '[') {
        keep(b, start, i - start);
        valueEnd();
        return i; // the delimiter is read as structure
      }
      i++;
    }
    keep(b, start, end - start);
    return end;
  }

  private int stringBytes(byte[] b, int i, int end) {
    boolean skip = string.to() == JsonStringValue.NOWHERE && !capturing;
    if (skip && string.plain()) {
      // nothing of this string is kept: look for its end
      while (i < end) {
        byte c = b[i];
        if (c == '"' || c == '\\') {
          break;
        }
        i++;
      }
    }
    while (i < end) {
      byte c = b[i++];
      keep(c);
      int r = string.accept(c);
      if (r == JsonStringValue.END) {
        endString();
        return i;
      }
      if (r == JsonStringValue.BAD) {
        state = FAILED;
        return end;
      }
      if (skip && string.plain()) {
        return i; // back to the fast skip
      }
    }
    return end;
  }

  private void endString() {
    if (stringIsKey) {
      path[depth - 1] = keyId();
      state = COLON;
      return;
    }
    if (stringIsStatus) {
      statusValue = string.shortValue();
    }
    valueEnd();
  }

  private byte keyId() {
    for (byte k = USAGE; k < KEY_NAMES.length; k++) {
      if (string.is(KEY_NAMES[k])) {
        return k;
      }
    }
    return OTHER;
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
