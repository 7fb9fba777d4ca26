package dev.tollgate.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import dev.tollgate.alerts.SentAlerts;
import java.util.concurrent.TimeUnit;

/**
 * Alerts claimed in a Hazelcast map: of the replicas that see the same crossing, the one whose
 * {@code putIfAbsent} lands first sends the alert. Each claim expires with its period.
 */
public final class HazelcastSentAlerts implements SentAlerts {
  private final IMap<String, Long> sent;

  public HazelcastSentAlerts(HazelcastInstance hz) {
    this.sent = hz.getMap(HazelcastSetup.ALERTS_MAP);
  }

  @Override
  public boolean claim(String key, long expiresAtMillis, long nowMillis) {
    long ttl = Math.max(1, expiresAtMillis - nowMillis);
    return sent.putIfAbsent(key, nowMillis, ttl, TimeUnit.MILLISECONDS) == null;
  }
}
