package dev.tollgate.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.query.Predicates;
import dev.tollgate.ledger.DailyUsage;
import dev.tollgate.ledger.DailyUsageRow;
import dev.tollgate.ledger.LedgerKey;
import dev.tollgate.ledger.UsageLedger;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The usage ledger on the Hazelcast map {@value HazelcastSetup#LEDGER_MAP}, aggregated in the
 * cluster without a store call per request: {@link #add} merges the change into this replica's
 * local map (a {@link ConcurrentHashMap} merge, the only cost on the request path), and every
 * {@link #FLUSH_EVERY} (and on {@link #flush()} and {@link #close()}) each accumulated change is
 * sent as one {@link LedgerMerge} entry processor to its aggregate's owner.
 *
 * <p>The map's keys are {@link LedgerKey#id()} ({@code day|tier|user|key|model}); its values,
 * {@link DailyUsageRow}s, carry the day and the tier as fields of their own, indexed together, so
 * that "every user of a tier over a period" is one indexed query. Each aggregate lives until its
 * day leaves the retention (a time-to-live set at every merge): a database behind the map (a
 * MapStore) keeps it beyond memory.
 *
 * <p>What a crash loses: the changes this replica accumulated since its last flush (at most about a
 * second of its settlements and refusals). A merge that fails is put back and sent again at the
 * next flush; one that failed after it ran (an invocation lost in a migration) may then count
 * twice.
 */
public final class HazelcastUsageLedger implements UsageLedger {
  /** How often accumulated changes are merged into the cluster. */
  public static final Duration FLUSH_EVERY = Duration.ofSeconds(1);

  private static final Logger LOG = LoggerFactory.getLogger(HazelcastUsageLedger.class);
  private static final long FLUSH_WAIT_MILLIS = 10_000;

  /**
   * Merges in flight at once during a flush. A flush sends one merge per changed aggregate (about
   * one per active user and model each second); sent all at once they would queue on the partition
   * threads ahead of every Check's reservation and show as a latency spike each second.
   */
  static final int MERGES_IN_FLIGHT = 32;

  private final IMap<String, DailyUsageRow> map;
  private final Clock clock;
  private final long retentionDays;
  private final ConcurrentHashMap<LedgerKey, DailyUsage> pending = new ConcurrentHashMap<>();
  private final Object flushing = new Object();
  private final ScheduledExecutorService flusher;
  private final LongAdder merges = new LongAdder();
  private final LongAdder failedMerges = new LongAdder();
  private volatile boolean closed;

  /** Kept for {@link UsageLedger#DEFAULT_RETENTION}. */
  public HazelcastUsageLedger(HazelcastInstance hz, Clock clock) {
    this(hz, clock, DEFAULT_RETENTION);
  }

  /**
   * @param hz a member or client
   * @param clock decides each aggregate's time-to-live
   * @param retention how long aggregates are kept (whole days, {@code
   *     store.persistence.retention_days})
   */
  public HazelcastUsageLedger(HazelcastInstance hz, Clock clock, Duration retention) {
    this.map = hz.getMap(HazelcastSetup.LEDGER_MAP);
    this.clock = Objects.requireNonNull(clock, "clock");
    this.retentionDays = Math.max(1, retention.toDays());
    StoreCallbacks.install();
    this.flusher =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "tollgate-ledger-flush");
              t.setDaemon(true);
              return t;
            });
    long every = FLUSH_EVERY.toMillis();
    flusher.scheduleWithFixedDelay(this::flushQuietly, every, every, TimeUnit.MILLISECONDS);
  }

  @Override
  public void add(LedgerKey key, DailyUsage delta) {
    pending.merge(key, delta, DailyUsage::plus);
  }

  @Override
  public List<DailyUsageRow> read(String tier, LocalDate from, LocalDate to) {
    List<DailyUsageRow> out =
        new ArrayList<>(
            map.values(
                Predicates.and(
                    Predicates.equal("tier", tier), Predicates.between("day", from, to))));
    out.sort(ROW_ORDER);
    return out;
  }

  /**
   * Merges every accumulated change into the cluster and waits for the merges (at most 10 s).
   * Changes whose merge fails are kept for the next flush.
   */
  @Override
  public void flush() {
    synchronized (flushing) {
      List<CompletableFuture<Boolean>> calls = new ArrayList<>();
      Semaphore inFlight = new Semaphore(MERGES_IN_FLIGHT);
      long now = clock.millis();
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(FLUSH_WAIT_MILLIS);
      for (LedgerKey key : pending.keySet()) {
        if (!acquire(inFlight, deadline)) {
          LOG.warn("ledger.flush_incomplete: the rest is kept for the next flush");
          break;
        }
        DailyUsage delta = pending.remove(key);
        if (delta == null) {
          inFlight.release();
          continue;
        }
        long expiresAt =
            key.day()
                .plusDays(retentionDays + 1)
                .atStartOfDay()
                .toInstant(ZoneOffset.UTC)
                .toEpochMilli();
        CompletableFuture<Boolean> call;
        try {
          call =
              StoreCallbacks.complete(
                  map.submitToKey(
                      key.id(), new LedgerMerge(new DailyUsageRow(key, delta), expiresAt, now)),
                  b -> b);
        } catch (RuntimeException e) {
          inFlight.release();
          failedMerges.increment();
          pending.merge(key, delta, DailyUsage::plus);
          throw e;
        }
        call.whenComplete(
            (b, e) -> {
              inFlight.release();
              if (e == null) {
                merges.increment();
                return;
              }
              failedMerges.increment();
              pending.merge(key, delta, DailyUsage::plus);
            });
        calls.add(call);
      }
      if (calls.isEmpty()) {
        return;
      }
      try {
        long left = Math.max(1, deadline - System.nanoTime());
        CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new))
            .get(left, TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (ExecutionException | TimeoutException e) {
        LOG.warn("ledger.flush_failed: {} (kept for the next flush)", e.toString());
      }
    }
  }

  /** Waits for a merge slot until {@code deadline} ({@link System#nanoTime()}). */
  private static boolean acquire(Semaphore inFlight, long deadline) {
    try {
      return inFlight.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private void flushQuietly() {
    try {
      flush();
    } catch (RuntimeException e) {
      LOG.warn("ledger.flush_failed: {}", e.toString());
    }
  }

  /** Changes accumulated on this replica and not merged yet (for tests and metrics). */
  public int pendingCount() {
    return pending.size();
  }

  /** Merges sent and acknowledged. */
  public long merges() {
    return merges.sum();
  }

  /** Merges that failed (and were kept for the next flush). */
  public long failedMerges() {
    return failedMerges.sum();
  }

  /** Stops the periodic flush and flushes what is left: call it before Hazelcast stops. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    flusher.shutdown();
    try {
      flusher.awaitTermination(FLUSH_WAIT_MILLIS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    flush();
    if (!pending.isEmpty()) {
      LOG.warn("ledger.unflushed: {} daily aggregate change(s) lost at shutdown", pending.size());
    }
  }
}
