package dev.tollgate.hazelcast;

import com.hazelcast.internal.util.ConcurrencyUtil;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Where Hazelcast completions continue: one small pool per process ({@code tollgate-store-N}),
 * shared by every store and never shut down (its threads are daemons).
 *
 * <p>Hazelcast runs the non-async stages of its futures on its "default async executor" — the
 * common pool, or a new thread per stage when the common pool has one worker (2-core machines) —
 * and {@code IMap.submitToKey} chains one such stage itself. That would be two thread hand-offs per
 * store call (partition thread → common pool → Tollgate's executor). {@link #install()} makes this
 * pool Hazelcast's default async executor, running inline when already on one of its threads: one
 * hand-off, and Hazelcast's partition threads still never run Tollgate's code.
 *
 * <p>{@code ConcurrencyUtil} is Hazelcast's internal API: Hazelcast has no public setting for the
 * executor that runs its futures' non-async stages. It is used here and nowhere else, so an upgrade
 * that changes it breaks this one class (and {@code StoreBench} shows the cost of losing it).
 */
final class StoreCallbacks {
  private static final AtomicInteger IDS = new AtomicInteger();
  private static final ExecutorService POOL =
      Executors.newFixedThreadPool(
          Math.max(2, Runtime.getRuntime().availableProcessors()),
          r -> {
            Thread t = new CallbackThread(r, "tollgate-store-" + IDS.incrementAndGet());
            t.setDaemon(true);
            return t;
          });

  /** Runs inline on a pool thread, else queues to the pool. */
  static final Executor EXECUTOR =
      r -> {
        if (Thread.currentThread() instanceof CallbackThread) {
          r.run();
        } else {
          POOL.execute(r);
        }
      };

  static {
    ConcurrencyUtil.setDefaultAsyncExecutor(EXECUTOR);
  }

  private StoreCallbacks() {}

  /** Makes the pool Hazelcast's default async executor (once per process; idempotent). */
  static Executor install() {
    return EXECUTOR;
  }

  /**
   * Hazelcast's completion, mapped, as a plain future completed on the pool (Hazelcast's default
   * async executor runs this non-async stage there), so that later stages stay on the pool too.
   */
  static <T, R> CompletableFuture<R> complete(
      CompletionStage<T> hazelcast, Function<? super T, ? extends R> map) {
    CompletableFuture<R> out = new CompletableFuture<>();
    hazelcast.whenComplete(
        (v, e) -> {
          if (e != null) {
            out.completeExceptionally(e);
            return;
          }
          try {
            out.complete(map.apply(v));
          } catch (RuntimeException x) {
            out.completeExceptionally(x);
          }
        });
    return out;
  }

  private static final class CallbackThread extends Thread {
    CallbackThread(Runnable r, String name) {
      super(r, name);
    }
  }
}
