package dev.tollgate.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Secrets generated once per cluster and shared by every member: the first member to ask puts a
 * random value, every later one reads it. Whoever can reach the Hazelcast port can read them, as
 * they can read usage itself: the port must be reachable by Tollgate's replicas only.
 */
public final class ClusterSecrets {
  private static final SecureRandom RANDOM = new SecureRandom();

  private ClusterSecrets() {}

  /** The cluster's value of {@code name}, created on first use (32 random bytes, base64url). */
  public static String get(HazelcastInstance hz, String name) {
    IMap<String, String> secrets = hz.getMap(HazelcastSetup.SECRETS_MAP);
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    String mine = Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    String existing = secrets.putIfAbsent(name, mine);
    return existing == null ? mine : existing;
  }
}
