package dev.tollgate.bench;

import com.knuddels.jtokkit.api.Encoding;
import dev.tollgate.response.BodyDecoder;
import dev.tollgate.response.LargeAnswers;
import dev.tollgate.response.ResponseUsage;
import dev.tollgate.response.Usage;
import dev.tollgate.tokens.ApiKind;
import dev.tollgate.tokens.Encodings;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/**
 * Accounting of one large JSON answer: a 15 MiB embeddings body (one base64 string, or arrays of
 * floats, plain and gzip) fed to {@link ResponseUsage} in 64 KiB chunks, as STREAMED ext_proc
 * delivers it. Prints the throughput (MB/s of body read), the most bytes a stream holds between
 * chunks beyond its fixed state (its own count), and the heap a stream keeps, fixed state included,
 * when stopped halfway through the body, measured over 100 such streams.
 *
 * <p>Run: {@code ./mvnw -q -pl server test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.tollgate.bench.ResponseBodyBench}
 */
public final class ResponseBodyBench {
  private static final int CHUNK = 64 << 10;
  private static final int BODY = 15 << 20;

  private ResponseBodyBench() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    Encoding enc = new Encodings().encodingFor("text-embedding-3-small", null);
    System.out.printf(
        "15 MiB embeddings answer fed in 64 KiB chunks, %d rounds after warm-up%n", rounds);
    for (boolean base64 : new boolean[] {true, false}) {
      byte[] body = LargeAnswers.embeddings(BODY, base64);
      byte[] gz = gzip(body);
      String kind = base64 ? "base64 string" : "float arrays ";
      for (boolean gzip : new boolean[] {false, true}) {
        byte[] wire = gzip ? gz : body;
        long[] held = {0};
        for (int i = 0; i < 3; i++) {
          once(enc, wire, gzip, held);
        }
        long t0 = System.nanoTime();
        for (int i = 0; i < rounds; i++) {
          once(enc, wire, gzip, held);
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf(
            "%s %s: %7.1f MB/s of decoded body (%.1f ms per answer), buffers held between chunks: at most %,d bytes%n",
            kind,
            gzip ? "gzip " : "plain",
            body.length * (double) rounds / secs / 1e6,
            secs * 1e3 / rounds,
            held[0]);
      }
      System.out.printf(
          "%s heap kept per stream stopped halfway through the body: %,d bytes%n",
          kind, heapPerStream(enc, body, 100));
    }
  }

  private static Usage once(Encoding enc, byte[] wire, boolean gzip, long[] held) {
    ResponseUsage u = new ResponseUsage(ApiKind.EMBEDDINGS, enc, 8);
    u.streaming(false);
    BodyDecoder d = BodyDecoder.forEncoding(gzip ? "gzip" : null);
    for (int i = 0; i < wire.length; i += CHUNK) {
      d.decode(
          java.nio.ByteBuffer.wrap(wire, i, Math.min(CHUNK, wire.length - i))
              .slice()
              .asReadOnlyBuffer(),
          u::feed);
      held[0] = Math.max(held[0], u.retainedBytes());
    }
    d.close();
    u.finish();
    Usage usage = u.usage();
    if (!usage.fromProvider() || usage.inputTokens() != 8) {
      throw new IllegalStateException("usage not read: " + usage);
    }
    return usage;
  }

  /** Heap held by {@code n} streams each fed half the body, per stream. */
  private static long heapPerStream(Encoding enc, byte[] body, int n) {
    MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
    List<ResponseUsage> streams = new ArrayList<>(n);
    long before = usedAfterGc(mem);
    for (int s = 0; s < n; s++) {
      ResponseUsage u = new ResponseUsage(ApiKind.EMBEDDINGS, enc, 8);
      u.streaming(false);
      for (int i = 0; i < body.length / 2; i += CHUNK) {
        u.feed(body, i, Math.min(CHUNK, body.length / 2 - i));
      }
      streams.add(u);
    }
    long after = usedAfterGc(mem);
    if (streams.size() != n) {
      throw new IllegalStateException();
    }
    return (after - before) / n;
  }

  private static long usedAfterGc(MemoryMXBean mem) {
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 5; i++) {
      System.gc();
      used = Math.min(used, mem.getHeapMemoryUsage().getUsed());
    }
    return used;
  }

  private static byte[] gzip(byte[] plain) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream g = new GZIPOutputStream(out)) {
      g.write(plain);
    }
    return out.toByteArray();
  }
}
