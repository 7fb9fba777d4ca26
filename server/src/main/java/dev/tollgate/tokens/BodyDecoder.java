package dev.tollgate.tokens;

import java.io.ByteArrayOutputStream;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Decodes a {@code content-encoding} (identity, gzip, deflate) chunk by chunk, with bounded
 * state, so accounting can read compressed bodies that pass through unchanged.
 */
public final class BodyDecoder {
  private final Inflater inflater;
  private final boolean gzip;
  private final ByteArrayOutputStream header = new ByteArrayOutputStream();
  private boolean headerDone;
  private boolean failed;
  private final byte[] buf = new byte[16 * 1024];

  private BodyDecoder(Inflater inflater, boolean gzip) {
    this.inflater = inflater;
    this.gzip = gzip;
    this.headerDone = !gzip;
  }

  /** A decoder for a {@code content-encoding} value (null or unknown: identity). */
  public static BodyDecoder forEncoding(String contentEncoding) {
    String e = contentEncoding == null ? "" : contentEncoding.trim().toLowerCase(java.util.Locale.ROOT);
    return switch (e) {
      case "gzip", "x-gzip" -> new BodyDecoder(new Inflater(true), true);
      case "deflate" -> new BodyDecoder(new Inflater(false), false);
      default -> new BodyDecoder(null, false);
    };
  }

  /** True when bytes pass through as they are. */
  public boolean identity() {
    return inflater == null;
  }

  /** True when the stream could not be decoded (accounting then uses what it has). */
  public boolean failed() {
    return failed;
  }

  /** Decodes the next chunk; returns the decoded bytes (possibly empty). */
  public byte[] decode(byte[] chunk) {
    if (inflater == null) {
      return chunk;
    }
    if (failed || chunk.length == 0) {
      return new byte[0];
    }
    byte[] in = chunk;
    if (!headerDone) {
      header.write(chunk, 0, chunk.length);
      byte[] h = header.toByteArray();
      int len = gzipHeaderLength(h);
      if (len == -1) {
        return new byte[0]; // need more bytes
      }
      if (len == -2) {
        failed = true;
        return new byte[0];
      }
      headerDone = true;
      header.reset();
      in = java.util.Arrays.copyOfRange(h, len, h.length);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(in.length * 4);
    inflater.setInput(in);
    try {
      while (!inflater.finished()) {
        int n = inflater.inflate(buf);
        if (n == 0) {
          if (inflater.needsInput() || inflater.needsDictionary()) {
            break;
          }
        }
        out.write(buf, 0, n);
      }
    } catch (DataFormatException e) {
      failed = true;
    }
    return out.toByteArray();
  }

  /** Releases the inflater. */
  public void close() {
    if (inflater != null) {
      inflater.end();
    }
  }

  /** Length of a gzip header, -1 if incomplete, -2 if not gzip. */
  static int gzipHeaderLength(byte[] h) {
    if (h.length < 10) {
      return -1;
    }
    if ((h[0] & 0xff) != 0x1f || (h[1] & 0xff) != 0x8b || h[2] != 8) {
      return -2;
    }
    int flags = h[3] & 0xff;
    int pos = 10;
    if ((flags & 4) != 0) {
      if (h.length < pos + 2) {
        return -1;
      }
      int xlen = (h[pos] & 0xff) | ((h[pos + 1] & 0xff) << 8);
      pos += 2 + xlen;
    }
    for (int bit : new int[] {8, 16}) {
      if ((flags & bit) != 0) {
        while (pos < h.length && h[pos] != 0) {
          pos++;
        }
        if (pos >= h.length) {
          return -1;
        }
        pos++;
      }
    }
    if ((flags & 2) != 0) {
      pos += 2;
    }
    return pos <= h.length ? pos : -1;
  }
}
