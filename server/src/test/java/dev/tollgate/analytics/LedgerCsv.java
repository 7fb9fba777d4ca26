package dev.tollgate.analytics;

import dev.tollgate.ledger.DailyUsage;
import dev.tollgate.ledger.DailyUsageRow;
import dev.tollgate.ledger.LedgerKey;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Reads ledger rows of tier {@code default} from a CSV test resource. */
final class LedgerCsv {
  private LedgerCsv() {}

  static List<DailyUsageRow> read(String resource) {
    try (InputStream in = LedgerCsv.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalArgumentException("no resource " + resource);
      }
      List<DailyUsageRow> rows = new ArrayList<>();
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        String[] f = line.split(",", -1);
        Map<String, Long> refusals = new TreeMap<>();
        if (!f[10].isBlank()) {
          for (String pair : f[10].trim().split(";")) {
            int eq = pair.lastIndexOf('=');
            refusals.put(pair.substring(0, eq), Long.parseLong(pair.substring(eq + 1)));
          }
        }
        rows.add(
            new DailyUsageRow(
                new LedgerKey(LocalDate.parse(f[0]), "default", f[1], f[2], f[3]),
                new DailyUsage(
                    Long.parseLong(f[4]),
                    Long.parseLong(f[5]),
                    Long.parseLong(f[6]),
                    Long.parseLong(f[7]),
                    Long.parseLong(f[8]),
                    Long.parseLong(f[9]),
                    refusals)));
      }
      return rows;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
