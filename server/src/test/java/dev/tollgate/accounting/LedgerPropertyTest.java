package dev.tollgate.accounting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.config.AccountingConfig.MissingUsage;
import dev.tollgate.config.ModelConfig;
import dev.tollgate.hazelcast.HazelcastTestCluster;
import dev.tollgate.hazelcast.HazelcastUsageLedger;
import dev.tollgate.ledger.DailyUsage;
import dev.tollgate.ledger.DailyUsageRow;
import dev.tollgate.ledger.InMemoryUsageLedger;
import dev.tollgate.ledger.LedgerKey;
import dev.tollgate.ledger.LedgerTag;
import dev.tollgate.ledger.UsageLedger;
import dev.tollgate.quota.Charge;
import dev.tollgate.quota.InMemoryQuotaStore;
import dev.tollgate.quota.Limit;
import dev.tollgate.quota.QuotaService;
import dev.tollgate.quota.QuotaStore;
import dev.tollgate.quota.QuotaTarget;
import dev.tollgate.quota.Reservation;
import dev.tollgate.quota.ReserveResult;
import dev.tollgate.quota.Scope;
import dev.tollgate.quota.Settlement;
import dev.tollgate.quota.Unit;
import dev.tollgate.quota.Window;
import dev.tollgate.response.Usage;
import dev.tollgate.testsupport.ManualClock;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * The usage ledger's daily aggregates equal the sum of what was settled: random streams of
 * reservations, settlements (reported usage, observed deltas, nothing reported), refunds, replays
 * of a settlement (which must not count), quota refusals, reservations that expire unsettled
 * (released or kept) and time passing over UTC days, on the in-memory ledger and on the Hazelcast
 * ledger of a three-member cluster (each replica accumulating its own changes).
 */
class LedgerPropertyTest {
  private static final Pricing PRICING =
      new Pricing(
          Map.of(
              "m1",
              new ModelConfig(
                  "m1", null, new BigDecimal("2.5"), new BigDecimal("1.25"), new BigDecimal("10")),
              "m2",
              new ModelConfig("m2", null, new BigDecimal("30"), null, new BigDecimal("60"))));
  private static final String[] USERS = {"alice", "bob", "c|d%e"};
  private static final String[] KEYS = {"web", "batch"};
  private static final String[] MODELS = {"m1", "m2"};
  private static final String[] SCOPES = {"user", "key", "global", "conversation"};
  private static final String[] WINDOWS = {"1m", "1d", "month"};
  private static final Limit ROOMY = new Limit(Window.parse("1h"), Unit.TOKENS, Long.MAX_VALUE);
  private static final AtomicInteger TRIES = new AtomicInteger();
  private static final Duration PENDING_TTL = Duration.ofHours(6);
  private static HazelcastTestCluster cluster;

  /** What a stream does. */
  sealed interface Op {}

  /** Reserves for the dimensions {@code who} picks, on replica {@code who}. */
  record Reserve(int who, long prompt, long output) implements Op {}

  /** Closes a reservation made earlier (again: a replay), on another replica. */
  record Close(int pick, Answered answered, long input, long cached, long output) implements Op {}

  /** A quota refusal at admission. */
  record Refuse(int who, int scope, int window) implements Op {}

  /** The expiry sweep runs on every replica: reservations held longer than the TTL end. */
  record Expire(boolean release) implements Op {}

  /** Time passes (hours: the stream crosses UTC days). */
  record Advance(long millis) implements Op {}

  /** What the response said. */
  enum Answered {
    FAILED,
    REPORTED,
    OBSERVED_ONLY,
    NOTHING_SEEN
  }

  @Provide
  Arbitrary<List<Op>> streams() {
    Arbitrary<Op> reserve =
        Combinators.combine(
                Arbitraries.integers().between(0, 1000),
                Arbitraries.longs().between(0, 5000),
                Arbitraries.longs().between(0, 5000))
            .as(Reserve::new);
    Arbitrary<Op> close =
        Combinators.combine(
                Arbitraries.integers().between(0, 1000),
                Arbitraries.of(Answered.class),
                Arbitraries.longs().between(0, 8000),
                Arbitraries.longs().between(0, 8000),
                Arbitraries.longs().between(0, 8000))
            .as((p, a, i, c, o) -> new Close(p, a, i, Math.min(c, i), o));
    Arbitrary<Op> refuse =
        Combinators.combine(
                Arbitraries.integers().between(0, 1000),
                Arbitraries.integers().between(0, SCOPES.length - 1),
                Arbitraries.integers().between(0, WINDOWS.length - 1))
            .as(Refuse::new);
    Arbitrary<Op> advance =
        Arbitraries.longs().between(0, Duration.ofHours(30).toMillis()).map(Advance::new);
    return Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(4, reserve),
            net.jqwik.api.Tuple.of(5, close),
            net.jqwik.api.Tuple.of(2, refuse),
            net.jqwik.api.Tuple.of(1, advance),
            net.jqwik.api.Tuple.of(1, Arbitraries.of(true, false).map(Expire::new)))
        .list()
        .ofMinSize(1)
        .ofMaxSize(80);
  }

  @Property(tries = 200)
  void inMemoryAggregatesEqualWhatWasSettled(
      @ForAll("streams") List<Op> stream, @ForAll MissingUsage policy) {
    ManualClock clock = startOfStream();
    InMemoryQuotaStore store = new InMemoryQuotaStore();
    UsageLedger ledger = new InMemoryUsageLedger(clock);
    check(stream, policy, clock, List.of(store, store), List.of(ledger, ledger), "t");
  }

  @Property(tries = 25)
  void hazelcastAggregatesEqualWhatWasSettled(
      @ForAll("streams") List<Op> stream, @ForAll MissingUsage policy) throws Exception {
    HazelcastTestCluster c = cluster();
    ManualClock clock = startOfStream();
    List<UsageLedger> ledgers = new ArrayList<>();
    for (var m : c.members) {
      ledgers.add(new HazelcastUsageLedger(m, clock, UsageLedger.DEFAULT_RETENTION));
    }
    try {
      // each try has tiers of its own: the cluster outlives the tries
      check(
          stream,
          policy,
          clock,
          List.copyOf(c.stores),
          ledgers,
          "hz" + TRIES.incrementAndGet() + "-");
    } finally {
      ledgers.forEach(UsageLedger::close);
    }
  }

  private static synchronized HazelcastTestCluster cluster() throws Exception {
    if (cluster == null) {
      cluster = new HazelcastTestCluster(3, 1, Duration.ofSeconds(5));
    }
    return cluster;
  }

  @AfterContainer
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
      cluster = null;
    }
  }

  private static void check(
      List<Op> stream,
      MissingUsage policy,
      ManualClock clock,
      List<? extends QuotaStore> stores,
      List<UsageLedger> ledgers,
      String tierPrefix) {
    int n = stores.size();
    List<QuotaService> quotas = new ArrayList<>();
    List<Accounting> accountings = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      QuotaService q = new QuotaService(stores.get(i), clock, Duration.ofSeconds(10), PENDING_TTL);
      quotas.add(q);
      accountings.add(new Accounting(q, PRICING, policy, ledgers.get(i)));
    }
    List<ReservationTicket> tickets = new ArrayList<>();
    Set<String> closed = new HashSet<>();
    Map<LedgerKey, DailyUsage> expected = new HashMap<>();
    Set<String> tiers = new HashSet<>();
    LocalDate first = LedgerKey.utcDay(clock.millis());
    for (Op op : stream) {
      if (op instanceof Reserve r) {
        Dims d = dims(r.who(), tierPrefix);
        tiers.add(d.tier());
        long usd = PRICING.nanoUsd(d.model(), r.prompt(), 0, r.output());
        QuotaTarget target =
            new QuotaTarget(
                Scope.USER, QuotaTarget.keyOf(Scope.USER, d.user()), List.of(ROOMY), true);
        ReserveResult res =
            quotas
                .get(r.who() % n)
                .reserve(
                    List.of(target),
                    new Charge(r.prompt() + r.output(), usd),
                    new LedgerTag(d.tier(), d.user(), d.key(), d.model(), r.prompt()).encode())
                .toCompletableFuture()
                .join();
        ReserveResult.Reserved held = (ReserveResult.Reserved) res;
        tickets.add(
            new ReservationTicket(
                d.user(),
                null,
                d.key(),
                d.tier(),
                d.model(),
                "chat_completions",
                r.prompt(),
                held.reservation()));
      } else if (op instanceof Close c) {
        if (!tickets.isEmpty()) {
          ReservationTicket t = tickets.get(c.pick() % tickets.size());
          Accounting.Closed done =
              accountings.get(c.pick() % n).open(t).close(answer(c, t)).orElseThrow();
          Settlement s = done.store().toCompletableFuture().join();
          if (closed.add(t.reservation().id())) {
            assertEquals(Settlement.SETTLED, s);
            LedgerKey k =
                LedgerKey.of(t.reservation().atMillis(), t.tier(), t.user(), t.key(), t.model());
            expected.merge(k, expectedDelta(c, t, policy), DailyUsage::plus);
          } else {
            assertEquals(Settlement.NOT_HELD, s, "a replay counts nothing");
          }
        }
      } else if (op instanceof Refuse r) {
        Dims d = dims(r.who(), tierPrefix);
        tiers.add(d.tier());
        LedgerKey k = LedgerKey.of(clock.millis(), d.tier(), d.user(), d.key(), d.model());
        ledgers.get(r.who() % n).refused(k, SCOPES[r.scope()], WINDOWS[r.window()]);
        expected.merge(
            k, DailyUsage.refused(SCOPES[r.scope()], WINDOWS[r.window()]), DailyUsage::plus);
      } else if (op instanceof Expire e) {
        for (int i = 0; i < n; i++) {
          UsageLedger ledger = ledgers.get(i);
          quotas.get(i).expire(e.release(), r -> Accounting.expired(ledger, r, e.release()));
        }
        for (ReservationTicket t : tickets) {
          Reservation r = t.reservation();
          if (r.atMillis() + PENDING_TTL.toMillis() <= clock.millis() && closed.add(r.id())) {
            LedgerKey k = LedgerKey.of(r.atMillis(), t.tier(), t.user(), t.key(), t.model());
            long prompt = t.promptTokens();
            expected.merge(
                k,
                e.release()
                    ? DailyUsage.refunded()
                    : DailyUsage.settled(
                        prompt, 0, r.charge().tokens() - prompt, r.charge().nanoUsd()),
                DailyUsage::plus);
          }
        }
      } else if (op instanceof Advance a) {
        clock.advance(a.millis());
      }
    }
    ledgers.forEach(UsageLedger::flush);
    LocalDate last = LedgerKey.utcDay(clock.millis());
    Map<LedgerKey, DailyUsage> actual = new HashMap<>();
    for (String tier : tiers) {
      for (DailyUsageRow row : ledgers.get(0).read(tier, first, last)) {
        assertEquals(tier, row.key().tier());
        actual.put(row.key(), row.usage());
      }
    }
    assertEquals(new TreeMap<>(ids(expected)), new TreeMap<>(ids(actual)));
    // a period query sees the period's days only
    for (String tier : tiers) {
      for (DailyUsageRow row : ledgers.get(n - 1).read(tier, last, last)) {
        assertEquals(last, row.key().day());
        assertEquals(expected.get(row.key()), row.usage());
      }
    }
    // the ledger's tokens and money equal what the quota store was charged
    long tokens = 0;
    long usd = 0;
    for (DailyUsage u : actual.values()) {
      tokens += u.inputTokens() + u.outputTokens();
      usd += u.nanoUsd();
      assertTrue(u.cachedInputTokens() <= u.inputTokens());
    }
    long expectedTokens = 0;
    long expectedUsd = 0;
    for (DailyUsage u : expected.values()) {
      expectedTokens += u.inputTokens() + u.outputTokens();
      expectedUsd += u.nanoUsd();
    }
    assertEquals(expectedTokens, tokens);
    assertEquals(expectedUsd, usd);
  }

  private static Map<String, DailyUsage> ids(Map<LedgerKey, DailyUsage> m) {
    Map<String, DailyUsage> out = new HashMap<>();
    m.forEach((k, v) -> out.put(k.id(), v));
    return out;
  }

  private static Accounting.Answer answer(Close c, ReservationTicket t) {
    Usage reported = new Usage(c.input(), c.cached(), c.output(), 0, true);
    Usage observed = new Usage(c.input(), 0, c.output(), 0, false);
    return switch (c.answered()) {
      case FAILED -> new Accounting.Answer(true, () -> reported, true);
      case REPORTED -> new Accounting.Answer(false, () -> reported, true);
      case OBSERVED_ONLY -> new Accounting.Answer(false, () -> observed, false);
      case NOTHING_SEEN -> new Accounting.Answer(false, null, false);
    };
  }

  /** What the ledger should gain, worked out from the stream rather than from Accounting. */
  private static DailyUsage expectedDelta(Close c, ReservationTicket t, MissingUsage policy) {
    String m = t.model();
    Charge reserved = t.reservation().charge();
    long prompt = t.promptTokens();
    return switch (c.answered()) {
      case FAILED -> DailyUsage.refunded();
      case REPORTED ->
          DailyUsage.settled(
              c.input(),
              c.cached(),
              c.output(),
              PRICING.nanoUsd(m, c.input(), c.cached(), c.output()));
      case OBSERVED_ONLY ->
          policy == MissingUsage.OBSERVED
              ? DailyUsage.settled(
                  c.input(), 0, c.output(), PRICING.nanoUsd(m, c.input(), 0, c.output()))
              : DailyUsage.settled(prompt, 0, reserved.tokens() - prompt, reserved.nanoUsd());
      case NOTHING_SEEN ->
          policy == MissingUsage.OBSERVED
              ? DailyUsage.settled(prompt, 0, 0, PRICING.nanoUsd(m, prompt, 0, 0))
              : DailyUsage.settled(prompt, 0, reserved.tokens() - prompt, reserved.nanoUsd());
    };
  }

  private record Dims(String tier, String user, String key, String model) {}

  private static Dims dims(int who, String tierPrefix) {
    return new Dims(
        tierPrefix + (who % 2 == 0 ? "free" : "pro"),
        USERS[(who / 2) % USERS.length],
        KEYS[(who / 7) % KEYS.length],
        MODELS[(who / 11) % MODELS.length]);
  }

  /** A clock the stream moves forward; starts late on a UTC day. */
  private static ManualClock startOfStream() {
    return new ManualClock(Instant.parse("2026-11-29T22:30:00Z").toEpochMilli());
  }
}
