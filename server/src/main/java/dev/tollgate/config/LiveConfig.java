package dev.tollgate.config;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The configuration in use, and what is built from it, replaced whole on a reload.
 *
 * <p>Each holder of the configuration {@link #derive derives} what it builds from it (a key set,
 * the pricing, the admission rules). {@link #replace} builds every derived value from the new
 * configuration first and swaps them in with the configuration in one step; when any of them cannot
 * be built nothing changes. A reader takes the current value once per request or stream and keeps
 * it: a request in flight finishes on the configuration it started with.
 */
public final class LiveConfig implements Supplier<TollgateConfig> {
  /** One configuration and every value derived from it, by derivation index. */
  private record Snapshot(TollgateConfig config, Object[] values) {}

  private final AtomicReference<Snapshot> current;
  private final List<Function<TollgateConfig, ?>> derivations = new ArrayList<>();
  private final List<Consumer<TollgateConfig>> listeners = new CopyOnWriteArrayList<>();

  private LiveConfig(TollgateConfig config) {
    current = new AtomicReference<>(new Snapshot(config, new Object[0]));
  }

  /** Starts with this configuration. */
  public static LiveConfig of(TollgateConfig config) {
    return new LiveConfig(Objects.requireNonNull(config, "config"));
  }

  /** The configuration in use now. */
  @Override
  public TollgateConfig get() {
    return current.get().config();
  }

  /**
   * A value built from the configuration by {@code build}: built now from the current one and again
   * on every {@link #replace}, before the swap. {@code build} must not keep state between calls.
   *
   * @return the value for the configuration in use (the same object until the next replace)
   */
  public synchronized <T> Supplier<T> derive(Function<TollgateConfig, ? extends T> build) {
    Snapshot s = current.get();
    T value = Objects.requireNonNull(build.apply(s.config()), "derived value");
    int index = derivations.size();
    derivations.add(build);
    Object[] values = Arrays.copyOf(s.values(), index + 1);
    values[index] = value;
    current.set(new Snapshot(s.config(), values));
    return new Derived<>(index);
  }

  /**
   * Builds every derived value from {@code next} and then makes it, with them, the configuration in
   * use. Listeners are told afterwards.
   *
   * @throws RuntimeException what a derivation threw: nothing was replaced
   */
  public synchronized void replace(TollgateConfig next) {
    Objects.requireNonNull(next, "next");
    Object[] values = new Object[derivations.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = Objects.requireNonNull(derivations.get(i).apply(next), "derived value");
    }
    current.set(new Snapshot(next, values));
    for (Consumer<TollgateConfig> l : listeners) {
      l.accept(next);
    }
  }

  /** Calls {@code listener} with each configuration {@link #replace} puts in use. */
  public void onReplace(Consumer<TollgateConfig> listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  /** A derived value, read from the current snapshot. */
  private final class Derived<T> implements Supplier<T> {
    private final int index;

    Derived(int index) {
      this.index = index;
    }

    @Override
    @SuppressWarnings("unchecked")
    public T get() {
      return (T) current.get().values()[index];
    }
  }
}
