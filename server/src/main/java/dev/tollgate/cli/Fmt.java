package dev.tollgate.cli;

import java.io.PrintWriter;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** How numbers look in tables: tokens with thousands separators, dollars with 2 to 4 decimals. */
final class Fmt {
  private Fmt() {}

  static String tokens(double v) {
    return String.format(Locale.ROOT, "%,d", Math.round(v));
  }

  static String tokens(long v) {
    return String.format(Locale.ROOT, "%,d", v);
  }

  /** {@code $5.00}, {@code $0.0123}, {@code $1,234.50}: 2 decimals, up to 4 when they matter. */
  static String usd(double v) {
    BigDecimal d = BigDecimal.valueOf(v).setScale(4, RoundingMode.HALF_UP).stripTrailingZeros();
    if (d.scale() < 2) {
      d = d.setScale(2, RoundingMode.UNNECESSARY);
    }
    String s = String.format(Locale.ROOT, "%,." + d.scale() + "f", d.abs());
    return (d.signum() < 0 ? "-$" : "$") + s;
  }

  /** A limit or usage in its unit ({@code tokens} or {@code usd}). */
  static String amount(String unit, double v) {
    return "usd".equals(unit) ? usd(v) : tokens(v);
  }

  /** {@code 45s}, {@code 4m 12s}, {@code 3h 5m}, {@code 12d 4h}. */
  static String duration(long seconds) {
    if (seconds < 60) {
      return seconds + "s";
    }
    if (seconds < 3600) {
      return (seconds / 60) + "m" + (seconds % 60 == 0 ? "" : " " + seconds % 60 + "s");
    }
    if (seconds < 86400) {
      long m = seconds % 3600 / 60;
      return (seconds / 3600) + "h" + (m == 0 ? "" : " " + m + "m");
    }
    long h = seconds % 86400 / 3600;
    return (seconds / 86400) + "d" + (h == 0 ? "" : " " + h + "h");
  }

  static String percent(double v) {
    return String.format(Locale.ROOT, "%.1f%%", v);
  }

  static String number(double v) {
    BigDecimal d = BigDecimal.valueOf(v).stripTrailingZeros();
    return d.scale() <= 0 ? d.toPlainString() : d.toPlainString();
  }

  /** A plain-text table: columns whose header starts with {@code >} are right-aligned. */
  static final class Table {
    private final String[] headers;
    private final boolean[] right;
    private final List<String[]> rows = new ArrayList<>();

    Table(String... headers) {
      this.headers = new String[headers.length];
      this.right = new boolean[headers.length];
      for (int i = 0; i < headers.length; i++) {
        right[i] = headers[i].startsWith(">");
        this.headers[i] = right[i] ? headers[i].substring(1) : headers[i];
      }
    }

    Table row(Object... cells) {
      String[] r = new String[headers.length];
      for (int i = 0; i < r.length; i++) {
        r[i] = i < cells.length && cells[i] != null ? cells[i].toString() : "";
      }
      rows.add(r);
      return this;
    }

    boolean isEmpty() {
      return rows.isEmpty();
    }

    void print(PrintWriter out) {
      int[] w = new int[headers.length];
      for (int i = 0; i < w.length; i++) {
        w[i] = headers[i].length();
        for (String[] r : rows) {
          w[i] = Math.max(w[i], r[i].length());
        }
      }
      line(out, headers, w);
      for (String[] r : rows) {
        line(out, r, w);
      }
    }

    private void line(PrintWriter out, String[] cells, int[] w) {
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < cells.length; i++) {
        if (i > 0) {
          b.append("  ");
        }
        String c = cells[i];
        String pad = " ".repeat(w[i] - c.length());
        b.append(right[i] ? pad + c : (i == cells.length - 1 ? c : c + pad));
      }
      out.println(b.toString().stripTrailing());
    }
  }
}
