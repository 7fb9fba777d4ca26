package dev.tollgate.config;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads the configuration when its files change: the configuration file and every file it reads
 * ({@code keys_file}, secrets' {@code *_file}).
 *
 * <p>It watches the directories that hold them (any event there: Kubernetes updates a mounted
 * Secret or ConfigMap by swapping a {@code ..data} symbolic link, never by writing the file), waits
 * for the events to settle, and also looks every poll interval (some file systems report no event
 * for a swapped link). It reloads only when the files' contents changed (a SHA-256 over them), and
 * {@link #reload} reloads on request ({@code SIGHUP}).
 *
 * <p>A reload parses and validates the whole configuration, then {@link LiveConfig#replace
 * replaces} it in one step. A file that does not load keeps the last good configuration, and each
 * error is logged naming the file and the key path. Settings that apply only on a restart ({@link
 * RestartOnly}) keep their running values and are logged as {@code config.needs_restart}.
 */
public final class ConfigWatcher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ConfigWatcher.class);

  /** How long the directory must stay quiet after an event before the files are read. */
  private static final Duration SETTLE = Duration.ofMillis(100);

  /** Reads the configuration file, naming the files it read. */
  @FunctionalInterface
  public interface Loader {
    /** The configuration in {@code file}, or every error in it. */
    ConfigLoader.Loaded load(Path file) throws ConfigException;
  }

  private final Path file;
  private final LiveConfig live;
  private final Loader loader;
  private final UnaryOperator<TollgateConfig> adjust;
  private final Duration poll;
  private final Clock clock;
  private final List<Consumer<ReloadResult>> listeners =
      new java.util.concurrent.CopyOnWriteArrayList<>();
  private final Map<ReloadResult.Outcome, AtomicLong> counts =
      new EnumMap<>(ReloadResult.Outcome.class);
  private final AtomicLong lastAppliedMillis;
  private final Set<Path> watchedDirs = new HashSet<>();

  private List<Path> files;
  private byte[] fingerprint;
  private WatchService watch;
  private volatile Thread thread;
  private volatile boolean closed;

  /**
   * @param file the configuration file
   * @param live the configuration in use, which a reload replaces
   * @param loader reads the file ({@code ConfigLoader.loadTracked} with the process environment)
   * @param adjust what start-up did to the file's configuration (command-line port overrides), done
   *     again to each reloaded one
   * @param poll how often the files are read even without an event
   * @param clock the time of each result
   */
  public ConfigWatcher(
      Path file,
      LiveConfig live,
      Loader loader,
      UnaryOperator<TollgateConfig> adjust,
      Duration poll,
      Clock clock) {
    this.file = Objects.requireNonNull(file, "file");
    this.live = Objects.requireNonNull(live, "live");
    this.loader = Objects.requireNonNull(loader, "loader");
    this.adjust = Objects.requireNonNull(adjust, "adjust");
    if (poll == null || poll.isNegative() || poll.isZero()) {
      throw new IllegalArgumentException("poll: " + poll + " (expected: > 0)");
    }
    this.poll = poll;
    this.clock = Objects.requireNonNull(clock, "clock");
    for (ReloadResult.Outcome o : ReloadResult.Outcome.values()) {
      counts.put(o, new AtomicLong());
    }
    this.lastAppliedMillis = new AtomicLong(clock.millis());
    this.files = List.of(file);
  }

  /** Calls {@code listener} with the result of every reload that read the files. */
  public ConfigWatcher onReload(Consumer<ReloadResult> listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
    return this;
  }

  /**
   * Takes the files as they are now as the ones in use, and starts watching them (polling only
   * where the file system cannot be watched).
   */
  public synchronized ConfigWatcher start() {
    if (thread != null) {
      throw new IllegalStateException("already started");
    }
    try {
      files = loader.load(file).files();
    } catch (ConfigException e) {
      // the running configuration was read a moment ago: its files changed since; the first look
      // reports them
      files = List.of(file);
    }
    fingerprint = fingerprint(files);
    try {
      watch = FileSystems.getDefault().newWatchService();
    } catch (IOException e) {
      LOG.warn("config.watch_unavailable: {}; polling only", e.toString());
    }
    watchDirectories();
    thread = new Thread(this::run, "tollgate-config-watch");
    thread.setDaemon(true);
    thread.start();
    LOG.info(
        "config.watching: {} (every {} ms and on change); SIGHUP reloads", files, poll.toMillis());
    return this;
  }

  /**
   * Reads the files again now, whether or not they changed ({@code SIGHUP}).
   *
   * @param trigger what asked, for the log and the result
   */
  public ReloadResult reload(String trigger) {
    return reload(trigger, true);
  }

  /** Reloads if the files changed since they were last read; null when they did not. */
  public ReloadResult reloadIfChanged(String trigger) {
    return reload(trigger, false);
  }

  /** How many reloads had this outcome. */
  public long count(ReloadResult.Outcome outcome) {
    return counts.get(outcome).get();
  }

  /** When the configuration in use was last applied (start-up until the first reload). */
  public Instant lastApplied() {
    return Instant.ofEpochMilli(lastAppliedMillis.get());
  }

  /** The files watched: the configuration file and the files it reads. */
  public synchronized List<Path> files() {
    return files;
  }

  private synchronized ReloadResult reload(String trigger, boolean force) {
    byte[] now = fingerprint(files);
    if (!force && MessageDigest.isEqual(now, fingerprint)) {
      return null;
    }
    ReloadResult result;
    ConfigLoader.Loaded loaded;
    try {
      loaded = loader.load(file);
    } catch (ConfigException e) {
      fingerprint = now;
      return done(failed(trigger, e.errors()));
    }
    // the contents as they were before the read: a change during it is seen on the next look
    fingerprint = loaded.files().equals(files) ? now : fingerprint(loaded.files());
    files = loaded.files();
    watchDirectories();
    TollgateConfig running = live.get();
    TollgateConfig next;
    List<String> restart;
    try {
      next = adjust.apply(loaded.config());
      restart = RestartOnly.changes(running, next);
      next = RestartOnly.keep(running, next);
    } catch (RuntimeException e) {
      return done(failed(trigger, List.of(file + ": cannot apply: " + e.getMessage())));
    }
    if (!restart.isEmpty()) {
      LOG.warn(
          "config.needs_restart: {} changed in {}; the running values stay until a restart",
          String.join(", ", restart),
          file);
    }
    if (next.equals(running)) {
      result = result(ReloadResult.Outcome.UNCHANGED, trigger, List.of(), restart);
      LOG.info("config.unchanged: {} ({})", file, trigger);
      return done(result);
    }
    try {
      live.replace(next);
    } catch (RuntimeException e) {
      return done(failed(trigger, List.of(file + ": cannot apply: " + e.getMessage())));
    }
    lastAppliedMillis.set(clock.millis());
    LOG.info(
        "config.reloaded: {} ({}): {} service keys, {} tiers, {} models",
        file,
        trigger,
        next.keys().size(),
        next.tiers().size(),
        next.models().size());
    return done(result(ReloadResult.Outcome.APPLIED, trigger, List.of(), restart));
  }

  private ReloadResult failed(String trigger, List<String> errors) {
    LOG.error(
        "config.reload_failed: {} ({}): {} error(s); the last good configuration stays in use",
        file,
        trigger,
        errors.size());
    for (String e : errors) {
      LOG.error("config.reload_failed: {}", e);
    }
    return result(ReloadResult.Outcome.FAILED, trigger, errors, List.of());
  }

  private ReloadResult result(
      ReloadResult.Outcome outcome, String trigger, List<String> errors, List<String> restart) {
    return new ReloadResult(outcome, trigger, clock.instant(), errors, restart);
  }

  private ReloadResult done(ReloadResult r) {
    counts.get(r.outcome()).incrementAndGet();
    for (Consumer<ReloadResult> l : listeners) {
      try {
        l.accept(r);
      } catch (RuntimeException e) {
        LOG.warn("config.reload_listener_failed: {}", e.toString());
      }
    }
    return r;
  }

  /** The watch loop: an event (then quiet for {@link #SETTLE}) or a poll interval, then a look. */
  private void run() {
    try {
      while (!closed) {
        WatchKey key = null;
        if (watch == null) {
          Thread.sleep(poll.toMillis());
        } else {
          key = watch.poll(poll.toMillis(), TimeUnit.MILLISECONDS);
        }
        String trigger = "poll";
        while (key != null) {
          key.pollEvents();
          key.reset();
          trigger = "file";
          key = watch.poll(SETTLE.toMillis(), TimeUnit.MILLISECONDS);
        }
        try {
          reloadIfChanged(trigger);
        } catch (RuntimeException e) {
          LOG.warn("config.watch_failed: {}", e.toString());
        }
      }
    } catch (ClosedWatchServiceException | InterruptedException e) {
      // closed
    }
  }

  /**
   * Watches the directory of every file, as named and where its links lead, so that a swapped link
   * is seen whichever side it is on.
   */
  private void watchDirectories() {
    if (watch == null) {
      return;
    }
    List<Path> dirs = new ArrayList<>();
    for (Path f : files) {
      Path abs = f.toAbsolutePath();
      dirs.add(abs.getParent());
      try {
        dirs.add(abs.toRealPath().getParent());
      } catch (IOException e) {
        // missing for now: its directory as named is watched
      }
    }
    for (Path d : dirs) {
      if (d != null && watchedDirs.add(d)) {
        try {
          d.register(
              watch,
              StandardWatchEventKinds.ENTRY_CREATE,
              StandardWatchEventKinds.ENTRY_MODIFY,
              StandardWatchEventKinds.ENTRY_DELETE);
        } catch (IOException | RuntimeException e) {
          LOG.warn("config.watch_unavailable: {} ({}); polling only", d, e.toString());
        }
      }
    }
  }

  /** A SHA-256 over each file's name and contents (or its absence). */
  private static byte[] fingerprint(List<Path> files) {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    for (Path f : files) {
      sha.update(f.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      sha.update((byte) 0);
      try {
        sha.update(Files.readAllBytes(f));
        sha.update((byte) 1);
      } catch (IOException e) {
        sha.update((byte) 2);
      }
    }
    return sha.digest();
  }

  /** Stops watching. */
  @Override
  public void close() {
    closed = true;
    WatchService w;
    synchronized (this) {
      w = watch;
    }
    if (w != null) {
      try {
        w.close();
      } catch (IOException e) {
        LOG.debug("config.watch_close: {}", e.toString());
      }
    }
    Thread t = thread;
    if (t != null) {
      t.interrupt();
    }
  }
}
