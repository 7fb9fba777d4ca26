package dev.tollgate.hazelcast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import dev.tollgate.quota.Charge;
import dev.tollgate.quota.Reservation;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Held reservations as the map stores them: compact, read back whole, expiry read alone. */
class HeldReservationsTest {
  private static final long T0 = 1_764_547_200_000L;

  private static final Reservation TYPICAL =
      new Reservation(
          "3f2c9a1e-58b4-4d1f-9a0e-7c2b1d6e4f80",
          T0,
          new Charge(1_234, 5_678_900, 1),
          List.of("user:default:alice@example.com", "conv:c-123", "key:web", "global"),
          "2026-12-01|default|alice@example.com|web|gpt-4o-mini");

  @Test
  void readsBackWhatItWrote() {
    Random rnd = new Random(3);
    for (int i = 0; i < 2000; i++) {
      long at = rnd.nextLong();
      Charge c =
          new Charge(
              rnd.nextBoolean() ? rnd.nextLong() & Long.MAX_VALUE : rnd.nextInt(100_000),
              rnd.nextBoolean() ? rnd.nextLong() & Long.MAX_VALUE : rnd.nextInt(1 << 30),
              rnd.nextInt(3));
      String[] keys = new String[rnd.nextInt(5)];
      for (int k = 0; k < keys.length; k++) {
        keys[k] = text(rnd);
      }
      String tag = rnd.nextInt(3) == 0 ? null : text(rnd);
      Reservation r = new Reservation("id-" + i, at, c, Arrays.asList(keys), tag);
      long expiry = rnd.nextLong();
      byte[] held = HeldReservations.encode(r, expiry);
      assertEquals(r, HeldReservations.decode(r.id(), held));
      assertEquals(expiry, HeldReservations.expiry(held));
    }
  }

  @Test
  void isSmallerThanTheTextItReplaces() {
    byte[] held = HeldReservations.encode(TYPICAL, T0 + 3_600_000);
    String text = (T0 + 3_600_000) + "|" + TYPICAL.encodeHeld();
    System.out.printf("held reservation: %d bytes (text: %d chars)%n", held.length, text.length());
    assertTrue(held.length * 3 < text.length() * 2, held.length + " bytes, text " + text.length());
  }

  @Test
  void readsTheTextOfEarlierVersions() {
    String text = (T0 + 3_600_000) + "|" + TYPICAL.encodeHeld();
    assertEquals(T0 + 3_600_000, HeldReservations.expiry(text));
    assertEquals(TYPICAL, HeldReservations.decode(TYPICAL.id(), text));
  }

  @Test
  void refusesWhatIsNotAHeldReservation() {
    byte[] held = HeldReservations.encode(TYPICAL, T0);
    assertThrows(
        IllegalArgumentException.class,
        () -> HeldReservations.decode("x", Arrays.copyOf(held, held.length - 3)));
    assertThrows(
        IllegalArgumentException.class,
        () -> HeldReservations.decode("x", Arrays.copyOf(held, held.length + 1)));
    byte[] other = held.clone();
    other[0] = 9;
    assertThrows(IllegalArgumentException.class, () -> HeldReservations.decode("x", other));
    assertEquals(Long.MIN_VALUE, HeldReservations.expiry(other));
    assertEquals(Long.MIN_VALUE, HeldReservations.expiry(new byte[3]));
    assertEquals(Long.MIN_VALUE, HeldReservations.expiry(42));
  }

  /**
   * A value an earlier version held (text) is taken and swept by this one, on a real member: what a
   * cluster holds across an upgrade.
   */
  @Test
  void takesAndSweepsValuesHeldByEarlierVersions() throws Exception {
    try (HazelcastTestCluster cluster = new HazelcastTestCluster(1, 0, Duration.ofSeconds(2))) {
      HazelcastInstance hz = cluster.members.get(0);
      IMap<String, Object> pending = hz.getMap(HazelcastSetup.PENDING_MAP);
      Reservation old =
          new Reservation("old-1", T0, new Charge(10, 0, 1), List.of("user:a"), "tag|a");
      Reservation expired =
          new Reservation("old-2", T0, new Charge(20, 0, 1), List.of("user:b"), null);
      pending.set(old.id(), (T0 + 60_000) + "|" + old.encodeHeld());
      pending.set(expired.id(), (T0 + 1_000) + "|" + expired.encodeHeld());
      HazelcastQuotaStore store = new HazelcastQuotaStore(hz, false);
      Reservation fresh =
          new Reservation("new-1", T0, new Charge(30, 0, 1), List.of("user:c"), "tag|c");
      store.hold(fresh, T0 + 1_000, T0).toCompletableFuture().join();
      assertTrue(pending.get(fresh.id()) instanceof byte[]);
      assertEquals(
          List.of(expired, fresh).stream().map(Reservation::id).sorted().toList(),
          store.takeExpired(T0 + 2_000).stream().map(Reservation::id).sorted().toList());
      assertEquals(old, store.take(old.id()).toCompletableFuture().join());
      assertEquals(0, pending.size());
    }
  }

  private static String text(Random rnd) {
    StringBuilder sb = new StringBuilder();
    String alphabet = "abc|%:é€😀 -_=";
    for (int i = rnd.nextInt(30); i > 0; i--) {
      int cp =
          alphabet.codePointAt(
              alphabet.offsetByCodePoints(
                  0, rnd.nextInt(alphabet.codePointCount(0, alphabet.length()))));
      sb.appendCodePoint(cp);
    }
    return sb.toString();
  }
}
