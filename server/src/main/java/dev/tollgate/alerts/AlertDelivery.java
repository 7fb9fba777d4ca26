package dev.tollgate.alerts;

import dev.tollgate.config.AlertsConfig;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends alerts, off the Check path: a bounded queue (a full one drops the alert and counts it), one
 * thread that claims each alert ({@link SentAlerts}) and hands it to every webhook, asynchronous
 * HTTP POSTs with a timeout per attempt, retried with exponential backoff, then dropped and
 * counted. A webhook is named in logs by its name; its URL and secret never appear.
 */
final class AlertDelivery implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AlertDelivery.class);

  /** How long past its period a cluster-wide claim is kept (replicas' clocks differ). */
  static final long CLAIM_MARGIN_MILLIS = 60_000;

  /** The most deliveries (attempts and waits between them) under way at once. */
  private static final int IN_FLIGHT = 64;

  private record Item(
      Alert alert, List<AlertsConfig.Webhook> webhooks, AlertsConfig.Delivery how) {}

  private final BlockingQueue<Item> queue;
  private final SentAlerts cluster;
  private final AlertBodies bodies;
  private final AlertStats stats;
  private final Clock clock;
  private final HttpClient client;
  private final ScheduledExecutorService retries;
  private final Semaphore inFlight = new Semaphore(IN_FLIGHT);
  private final Thread worker;
  private final java.util.concurrent.atomic.AtomicLong unfinished =
      new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong lastQueueFullWarning =
      new java.util.concurrent.atomic.AtomicLong(Long.MIN_VALUE / 2);
  private volatile boolean closed;

  AlertDelivery(
      int queueSize, SentAlerts cluster, AlertBodies bodies, AlertStats stats, Clock clock) {
    this.queue = new ArrayBlockingQueue<>(queueSize);
    this.cluster = cluster;
    this.bodies = bodies;
    this.stats = stats;
    this.clock = clock;
    this.client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    this.retries =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "tollgate-alerts-retry");
              t.setDaemon(true);
              return t;
            });
    this.worker = new Thread(this::run, "tollgate-alerts");
    worker.setDaemon(true);
    worker.start();
  }

  /** Queues {@code alert} for {@code webhooks}; when the queue is full, drops it and counts it. */
  void offer(Alert alert, List<AlertsConfig.Webhook> webhooks, AlertsConfig.Delivery how) {
    if (webhooks.isEmpty() || closed) {
      return;
    }
    unfinished.incrementAndGet();
    if (!queue.offer(new Item(alert, webhooks, how))) {
      unfinished.decrementAndGet();
      for (AlertsConfig.Webhook w : webhooks) {
        stats.recordFailed(w.name(), AlertStats.Failure.QUEUE_FULL);
      }
      long now = clock.millis();
      long last = lastQueueFullWarning.get();
      if (now - last >= 60_000 && lastQueueFullWarning.compareAndSet(last, now)) {
        LOG.warn(
            "alerts.queue_full: alerts are dropped ({} wait to be sent; at most one warning a"
                + " minute, tollgate_alerts_failed_total counts them)",
            queue.size());
      }
    }
  }

  private void run() {
    while (!closed) {
      Item item;
      try {
        item = queue.take();
      } catch (InterruptedException e) {
        return;
      }
      if (!claimed(item.alert())) {
        unfinished.decrementAndGet();
        continue;
      }
      unfinished.addAndGet(item.webhooks().size() - 1);
      for (AlertsConfig.Webhook w : item.webhooks()) {
        try {
          inFlight.acquire();
        } catch (InterruptedException e) {
          return;
        }
        String body;
        try {
          body = bodies.body(item.alert(), w.format());
        } catch (RuntimeException e) {
          done(item, w, 0, e.getClass().getSimpleName());
          continue;
        }
        send(item, w, body, 1);
      }
    }
  }

  /** Whether this replica sends the alert: it won the claim, or the claim could not be made. */
  private boolean claimed(Alert alert) {
    if (!alert.clusterWide()) {
      return true;
    }
    try {
      return cluster.claim(
          alert.dedupeKey(), alert.expiresAtMillis() + CLAIM_MARGIN_MILLIS, clock.millis());
    } catch (RuntimeException e) {
      LOG.warn(
          "alerts.dedupe_unavailable: sending without the cluster's deduplication ({})",
          e.getClass().getSimpleName());
      return true;
    }
  }

  /** One attempt; on failure, the next after the backoff, or the drop. Holds one permit. */
  private void send(Item item, AlertsConfig.Webhook w, String body, int attempt) {
    HttpRequest request;
    try {
      HttpRequest.Builder b =
          HttpRequest.newBuilder(w.url())
              .timeout(item.how().timeout())
              .header("Content-Type", "application/json")
              .header("User-Agent", "tollgate-alerts")
              .POST(HttpRequest.BodyPublishers.ofString(body));
      if (w.secret() != null) {
        long ts = clock.millis() / 1000;
        b.header(AlertBodies.TIMESTAMP_HEADER, Long.toString(ts));
        b.header(
            AlertBodies.SIGNATURE_HEADER, AlertBodies.signature(w.secret().reveal(), ts, body));
      }
      request = b.build();
    } catch (RuntimeException e) {
      done(item, w, attempt, e.getClass().getSimpleName());
      return;
    }
    java.util.concurrent.CompletableFuture<HttpResponse<Void>> call;
    try {
      call = client.sendAsync(request, HttpResponse.BodyHandlers.discarding());
    } catch (RuntimeException e) {
      call = java.util.concurrent.CompletableFuture.failedFuture(e);
    }
    call.whenComplete(
        (response, error) -> {
          if (error == null && response.statusCode() / 100 == 2) {
            stats.recordSent(w.name());
            inFlight.release();
            unfinished.decrementAndGet();
            if (LOG.isDebugEnabled()) {
              LOG.debug("alerts.sent: webhook {} {}", w.name(), item.alert().dedupeKey());
            }
            return;
          }
          String failure = error != null ? rootName(error) : "status " + response.statusCode();
          if (attempt >= item.how().attempts() || closed) {
            done(item, w, attempt, failure);
            return;
          }
          long wait = item.how().backoff().toMillis() << Math.min(20, attempt - 1);
          try {
            retries.schedule(() -> send(item, w, body, attempt + 1), wait, TimeUnit.MILLISECONDS);
          } catch (RuntimeException e) {
            done(item, w, attempt, failure);
          }
        });
  }

  private void done(Item item, AlertsConfig.Webhook w, int attempts, String lastFailure) {
    stats.recordFailed(w.name(), AlertStats.Failure.RETRIES_EXHAUSTED);
    inFlight.release();
    unfinished.decrementAndGet();
    LOG.warn(
        "alerts.delivery_failed: webhook {}: {} alert dropped after {} attempt(s) (last: {})",
        w.name(),
        item.alert() instanceof Alert.Event ? "an event" : "a threshold",
        attempts,
        lastFailure);
  }

  /** The exception's class, never its message (which may hold the URL). */
  private static String rootName(Throwable e) {
    while (e.getCause() != null
        && (e instanceof java.util.concurrent.CompletionException
            || e instanceof java.util.concurrent.ExecutionException)) {
      e = e.getCause();
    }
    return e.getClass().getSimpleName();
  }

  /** Alerts waiting to be sent. */
  int queued() {
    return queue.size();
  }

  /**
   * Whether every alert offered so far has been delivered, dropped or found sent by another
   * replica.
   */
  boolean idle() {
    return unfinished.get() == 0;
  }

  @Override
  public void close() {
    closed = true;
    worker.interrupt();
    retries.shutdownNow();
  }
}
