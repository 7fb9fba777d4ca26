package dev.tollgate.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.quota.Charge;
import dev.tollgate.quota.Limit;
import dev.tollgate.quota.Unit;
import dev.tollgate.quota.UsageRecord;
import dev.tollgate.quota.Window;
import java.util.List;
import org.junit.jupiter.api.Test;

class UsageRecordTableTest {
  private static final long T0 = 1_780_000_000_000L;

  @Test
  void expiryIsNeverEarlierThanTheLongestWindowAndStaysPutBetweenNearbyWrites() {
    UsageRecord r = UsageRecord.empty();
    r.reserve(
        List.of(
            new Limit(Window.parse("5m"), Unit.TOKENS, 100),
            new Limit(Window.parse("1d"), Unit.TOKENS, 1000)),
        new Charge(1, 0),
        T0,
        true);
    long exact = T0 + r.longestWindow().toMillis() + UsageRecordTable.EXPIRY_MARGIN_MILLIS;
    long expires = UsageRecordTable.expiresAt(r, T0);
    assertTrue(expires >= exact, "expires " + expires + " before " + exact);
    assertTrue(expires <= exact + UsageRecordTable.EXPIRY_STEP_MILLIS);
    assertEquals(0, expires % UsageRecordTable.EXPIRY_STEP_MILLIS);
    // writes a second apart (within the same step) leave the column, and its index, unchanged
    long start = expires - UsageRecordTable.EXPIRY_STEP_MILLIS - exact + T0;
    assertEquals(expires, UsageRecordTable.expiresAt(r, start));
    assertEquals(expires, UsageRecordTable.expiresAt(r, start + 1_000));
    assertEquals(
        expires + UsageRecordTable.EXPIRY_STEP_MILLIS,
        UsageRecordTable.expiresAt(r, start + UsageRecordTable.EXPIRY_STEP_MILLIS));
  }
}
