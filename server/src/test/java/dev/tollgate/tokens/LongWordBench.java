package dev.tollgate.tokens;

import com.knuddels.jtokkit.api.Encoding;
import java.util.List;
import java.util.Random;
import java.util.function.IntFunction;

/**
 * Microseconds per KiB to count one long word (and one repeated character, and mixed scripts) of
 * growing length, per encoding: the figures stay flat when counting is linear. Up to 64 KiB a piece
 * is merged exactly; longer pieces count one token per byte. jtokkit alone (the reference, which
 * merges long pieces with tree maps) for comparison.
 *
 * <pre>
 * java -cp server/target/classes:server/target/test-classes:$(deps) dev.tollgate.tokens.LongWordBench
 * </pre>
 */
public final class LongWordBench {
  private LongWordBench() {}

  public static void main(String[] args) {
    Encodings encodings = new Encodings();
    Encodings jtokkitOnly = new Encodings(false);
    List<String> names = List.of("o200k_base", "cl100k_base", "p50k_base");
    List<String> shapes = List.of("random a-z word", "one letter repeated", "mixed-script word");
    List<IntFunction<String>> makers =
        List.of(
            n -> word(n, "abcdefghijklmnopqrstuvwxyz"),
            n -> "a".repeat(n),
            n -> word(n, "aäbcdeéfghijklmnoöpqrsßtuüvwxyzжзий中文字"));
    // up to 64 KiB merged exactly, beyond counted at one token per byte (MergeableRanks)
    int[] sizes = {4 << 10, 16 << 10, 64 << 10, 1 << 20, 7 << 20};
    for (String name : names) {
      Encoding e = encodings.encoding(name);
      for (int s = 0; s < shapes.size(); s++) {
        String warm = makers.get(s).apply(16 << 10);
        for (int w = 0; w < 30; w++) {
          e.countTokensOrdinary(warm);
        }
        StringBuilder line =
            new StringBuilder(String.format("%-12s %-20s us/KiB:", name, shapes.get(s)));
        for (int size : sizes) {
          String text = makers.get(s).apply(size);
          long best = Long.MAX_VALUE;
          for (int r = 0; r < 5; r++) {
            long t0 = System.nanoTime();
            e.countTokensOrdinary(text);
            best = Math.min(best, System.nanoTime() - t0);
          }
          line.append(
              String.format("  %4d KiB %6.1f", size >> 10, best / 1000.0 / (size / 1024.0)));
        }
        System.out.println(line);
        Encoding reference = jtokkitOnly.encoding(name);
        StringBuilder ref =
            new StringBuilder(String.format("%-12s %-20s us/KiB:", "  jtokkit", ""));
        for (int size : new int[] {64 << 10, 1 << 20}) { // jtokkit allocates ~200 bytes per byte
          String text = makers.get(s).apply(size);
          long best = Long.MAX_VALUE;
          for (int r = 0; r < 3; r++) {
            long t0 = System.nanoTime();
            reference.countTokensOrdinary(text);
            best = Math.min(best, System.nanoTime() - t0);
          }
          ref.append(String.format("  %4d KiB %6.1f", size >> 10, best / 1000.0 / (size / 1024.0)));
        }
        System.out.println(ref);
      }
    }
  }

  private static String word(int n, String letters) {
    Random random = new Random(n);
    char[] c = new char[n];
    for (int i = 0; i < n; i++) {
      c[i] = letters.charAt(random.nextInt(letters.length()));
    }
    return new String(c);
  }
}
