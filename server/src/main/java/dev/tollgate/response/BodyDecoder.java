package dev.tollgate.response;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Decodes a {@code content-encoding} (identity, gzip, deflate) chunk by chunk, so accounting can
 * read compressed bodies that pass through unchanged. Memory is bounded whatever the chunk or the
 * compression ratio: decoded bytes are handed on in pieces of at most {@link #PIECE_BYTES} from one
 * reused buffer (a decompression bomb costs time, never memory), a gzip header is read up to {@link
 * #MAX_GZIP_HEADER_BYTES}, and decoding stops (failed) past {@link #MAX_DECODED_BYTES}, which
 * bounds the time too.
 */
public final class BodyDecoder {
  /** Receives decoded bytes; the array is reused once the call returns. */
  @FunctionalInterface
  public interface Sink {
    /** The next decoded bytes. */
    void accept(byte[] bytes, int off, int len);
  }

  /** Largest piece handed to the sink. */
  public static final int PIECE_BYTES = 16 << 10;

  /** Longest gzip header read (its optional name and comment included); longer fails decoding. */
  public static final int MAX_GZIP_HEADER_BYTES = 16 << 10;

  /** Most bytes decoded from one body: far above any answer, low enough to bound a bomb's cost. */
  public static final long MAX_DECODED_BYTES = 1L << 30;

  private final Inflater inflater;
  private final long maxDecoded;
  private long decoded;
  private final ByteArrayOutputStream header = new ByteArrayOutputStream();
  private boolean headerDone;
  private boolean failed;
  private final byte[] buf = new byte[PIECE_BYTES];

  private BodyDecoder(Inflater inflater, boolean gzip, long maxDecoded) {
    this.inflater = inflater;
    this.maxDecoded = maxDecoded;
    this.headerDone = !gzip;
  }

  /** A decoder for a {@code content-encoding} value (null or unknown: identity). */
  public static BodyDecoder forEncoding(String contentEncoding) {
    return forEncoding(contentEncoding, MAX_DECODED_BYTES);
  }

  /** A decoder that stops after {@code maxDecoded} decoded bytes. */
  static BodyDecoder forEncoding(String contentEncoding, long maxDecoded) {
    String e = contentEncoding == null ? "" : contentEncoding.trim().toLowerCase(Locale.ROOT);
    return switch (e) {
      case "gzip", "x-gzip" -> new BodyDecoder(new Inflater(true), true, maxDecoded);
      case "deflate" -> new BodyDecoder(new Inflater(false), false, maxDecoded);
      default -> new BodyDecoder(null, false, maxDecoded);
    };
  }

  /** True when bytes pass through as they are. */
  public boolean identity() {
    return inflater == null;
  }

  /**
   * True when the body could not be decoded, or decoded past its bound (accounting uses what it
   * has).
   */
  public boolean failed() {
    return failed;
  }

  /** Decodes the next chunk (read to its end) and hands the decoded bytes to {@code sink}. */
  public void decode(ByteBuffer chunk, Sink sink) {
    if (inflater == null) {
      if (chunk.hasArray()) {
        sink.accept(chunk.array(), chunk.arrayOffset() + chunk.position(), chunk.remaining());
        chunk.position(chunk.limit());
        return;
      }
      while (chunk.hasRemaining()) {
        int n = Math.min(buf.length, chunk.remaining());
        chunk.get(buf, 0, n);
        sink.accept(buf, 0, n);
      }
      return;
    }
    if (failed || !chunk.hasRemaining()) {
      return;
    }
    if (!headerDone && !readHeader(chunk, sink)) {
      return;
    }
    if (chunk.hasRemaining()) {
      inflater.setInput(chunk);
      inflate(sink);
      chunk.position(chunk.limit());
    }
  }

  /** Decodes a whole array. */
  public void decode(byte[] chunk, Sink sink) {
    decode(ByteBuffer.wrap(chunk), sink);
  }

  /** Releases the inflater. */
  public void close() {
    if (inflater != null) {
      inflater.end();
    }
  }

  /** Reads the gzip header from the chunk; true once it is complete (what followed it decoded). */
  private boolean readHeader(ByteBuffer chunk, Sink sink) {
    int n = Math.min(chunk.remaining(), MAX_GZIP_HEADER_BYTES - header.size());
    for (int i = 0; i < n; i++) {
      header.write(chunk.get());
    }
    byte[] h = header.toByteArray();
    int len = gzipHeaderLength(h);
    if (len == -1 && h.length < MAX_GZIP_HEADER_BYTES) {
      return false; // need more bytes
    }
    header.reset();
    if (len < 0) {
      failed = true; // not gzip, or a header too long
      chunk.position(chunk.limit());
      return false;
    }
    headerDone = true;
    if (len < h.length) {
      inflater.setInput(h, len, h.length - len);
      inflate(sink);
    }
    return !failed;
  }

  private void inflate(Sink sink) {
    try {
      while (!inflater.finished()) {
        int n = inflater.inflate(buf);
        if (n > 0) {
          decoded += n;
          if (decoded > maxDecoded) {
            failed = true;
            return;
          }
          sink.accept(buf, 0, n);
        } else if (inflater.needsInput() || inflater.needsDictionary()) {
          break;
        }
      }
    } catch (DataFormatException e) {
      failed = true;
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
