package dev.tollgate.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** How numbers look in the tables. */
class CliFormatTest {
  @Test
  void dollarsHaveTwoToFourDecimals() {
    assertEquals("$5.00", Fmt.usd(5));
    assertEquals("$0.0123", Fmt.usd(0.0123));
    assertEquals("$0.1235", Fmt.usd(0.12345));
    assertEquals("$0.50", Fmt.usd(0.5));
    assertEquals("$1,234.50", Fmt.usd(1234.5));
    assertEquals("$0.00", Fmt.usd(0));
  }

  @Test
  void tokensHaveThousandsSeparators() {
    assertEquals("1,234,567", Fmt.tokens(1_234_567L));
    assertEquals("20,000", Fmt.tokens(20000.0));
    assertEquals("$5.00", Fmt.amount("usd", 5));
    assertEquals("5", Fmt.amount("tokens", 5));
  }

  @Test
  void durationsAreShort() {
    assertEquals("45s", Fmt.duration(45));
    assertEquals("4m 12s", Fmt.duration(252));
    assertEquals("3h 5m", Fmt.duration(3 * 3600 + 300));
    assertEquals("12d 4h", Fmt.duration(12 * 86400 + 4 * 3600));
    assertEquals("1d", Fmt.duration(86400));
  }

  @Test
  void tablesAlignNumbersRight() {
    var w = new java.io.StringWriter();
    var t = new Fmt.Table("NAME", ">N");
    t.row("a", "1,000").row("bbbb", "5");
    t.print(new java.io.PrintWriter(w, true));
    assertEquals("NAME      N\na     1,000\nbbbb      5\n", w.toString());
  }
}
