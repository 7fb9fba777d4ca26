package dev.tollgate.response;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Random;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/** Decoded bodies come out in bounded pieces, whatever the chunk size or compression ratio. */
class BodyDecoderTest {
  static byte[] gzip(byte[] plain) throws Exception {
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream g = new GZIPOutputStream(gz)) {
      g.write(plain);
    }
    return gz.toByteArray();
  }

  @Test
  void aDecompressionBombComesOutInSmallPieces() {
    long plain = 256L << 20; // 256 MiB of zeros, about 250 KiB compressed
    Deflater d = new Deflater(Deflater.BEST_COMPRESSION, true);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff});
    byte[] zeros = new byte[1 << 20];
    byte[] buf = new byte[64 << 10];
    for (long done = 0; done < plain; done += zeros.length) {
      d.setInput(zeros);
      while (!d.needsInput()) {
        out.write(buf, 0, d.deflate(buf));
      }
    }
    d.finish();
    while (!d.finished()) {
      out.write(buf, 0, d.deflate(buf));
    }
    byte[] bomb = out.toByteArray();
    assertTrue(bomb.length < 1 << 20, "compressed " + bomb.length);

    BodyDecoder dec = BodyDecoder.forEncoding("gzip");
    long[] total = {0, 0};
    dec.decode(
        ByteBuffer.wrap(bomb).asReadOnlyBuffer(),
        (b, off, len) -> {
          total[0] += len;
          total[1] = Math.max(total[1], len);
        });
    dec.close();
    assertFalse(dec.failed());
    assertEquals(plain, total[0], "every byte decoded");
    assertTrue(total[1] <= BodyDecoder.PIECE_BYTES, "largest piece " + total[1]);

    // and a body decoding past its bound stops there
    BodyDecoder bounded = BodyDecoder.forEncoding("gzip", 10L << 20);
    long[] seen = {0};
    bounded.decode(ByteBuffer.wrap(bomb), (b, off, len) -> seen[0] += len);
    bounded.close();
    assertTrue(bounded.failed());
    assertTrue(seen[0] <= 10L << 20, "stopped at the bound: " + seen[0]);
  }

  @Test
  void gzipHeadersWithNameCommentAndExtraAreReadAcrossAnySplit() throws Exception {
    byte[] plain = new byte[100_000];
    new Random(1).nextBytes(plain);
    byte[] body = gzip(plain);
    // rebuild the header with FEXTRA, FNAME and FCOMMENT
    ByteArrayOutputStream h = new ByteArrayOutputStream();
    h.writeBytes(
        new byte[] {
          0x1f, (byte) 0x8b, 8, 4 | 8 | 16, 0, 0, 0, 0, 0, (byte) 0xff, 3, 0, 'a', 'b', 'c'
        });
    h.writeBytes("name.json\0a comment\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    h.write(body, 10, body.length - 10);
    byte[] withHeader = h.toByteArray();
    for (int at = 0; at < 60; at++) {
      BodyDecoder dec = BodyDecoder.forEncoding("gzip");
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      dec.decode(ByteBuffer.wrap(withHeader, 0, at).slice(), got::write);
      dec.decode(ByteBuffer.wrap(withHeader, at, withHeader.length - at).slice(), got::write);
      assertFalse(dec.failed(), "split " + at);
      assertArrayEquals(plain, got.toByteArray(), "split " + at);
    }
  }

  @Test
  void aGzipHeaderThatNeverEndsFailsDecodingInsteadOfGrowing() {
    BodyDecoder dec = BodyDecoder.forEncoding("gzip");
    dec.decode(new byte[] {0x1f, (byte) 0x8b, 8, 8, 0, 0, 0, 0, 0, (byte) 0xff}, (b, o, l) -> {});
    byte[] name = new byte[4096];
    java.util.Arrays.fill(name, (byte) 'n');
    for (int i = 0; i < 1000 && !dec.failed(); i++) {
      dec.decode(name, (b, o, l) -> {});
    }
    assertTrue(
        dec.failed(), "a header past " + BodyDecoder.MAX_GZIP_HEADER_BYTES + " bytes is refused");
    dec.close();
  }

  @Test
  void identityPassesChunksOnWithoutCopyingWholeOnesAndReadOnlyOnesInPieces() {
    byte[] chunk = new byte[100_000];
    new Random(2).nextBytes(chunk);
    BodyDecoder dec = BodyDecoder.forEncoding(null);
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    int[] most = {0};
    dec.decode(
        ByteBuffer.wrap(chunk).asReadOnlyBuffer(),
        (b, off, len) -> {
          got.write(b, off, len);
          most[0] = Math.max(most[0], len);
        });
    assertArrayEquals(chunk, got.toByteArray());
    assertTrue(most[0] <= BodyDecoder.PIECE_BYTES);
  }
}
