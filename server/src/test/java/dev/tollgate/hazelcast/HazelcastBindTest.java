package dev.tollgate.hazelcast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.hazelcast.config.Config;
import com.hazelcast.core.HazelcastInstance;
import dev.tollgate.LocalAddresses;
import dev.tollgate.config.StoreConfig;
import dev.tollgate.testsupport.FreePorts;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The embedded member binds {@code store.hazelcast.interface} only, and says so when that is beyond
 * loopback.
 */
class HazelcastBindTest {
  private static final Duration DEADLINE = Duration.ofSeconds(2);
  private final Logger logger = (Logger) LoggerFactory.getLogger(HazelcastSetup.class);
  private final ListAppender<ILoggingEvent> log = new ListAppender<>();

  @BeforeEach
  void captureLog() {
    log.start();
    logger.addAppender(log);
  }

  @AfterEach
  void releaseLog() {
    logger.detachAppender(log);
  }

  private static StoreConfig store(StoreConfig.HazelcastConfig hz) {
    return new StoreConfig(StoreConfig.Kind.HAZELCAST, hz, DEADLINE, StoreConfig.OnError.DENY);
  }

  private static StoreConfig.HazelcastConfig member(
      int port, List<String> members, String bindInterface) {
    return new StoreConfig.HazelcastConfig(
        StoreConfig.Mode.EMBEDDED,
        "tollgate-bind-" + UUID.randomUUID(),
        port,
        members,
        false,
        null,
        0,
        bindInterface);
  }

  private List<String> warnings() {
    return log.list.stream()
        .map(ILoggingEvent::getFormattedMessage)
        .filter(m -> m.startsWith("hazelcast.exposed"))
        .toList();
  }

  @Test
  void aMemberBoundToLoopbackDoesNotListenOnOtherAddresses() throws Exception {
    int port = FreePorts.freePort();
    Optional<InetAddress> other = LocalAddresses.nonLoopback();
    // a peer list beyond loopback: without an interface the member would listen on every interface
    List<String> members =
        other
            .map(a -> List.of(a.getHostAddress() + ":" + (port + 1)))
            .orElse(List.of("192.0.2.1:5701"));
    HazelcastInstance m = HazelcastSetup.start(store(member(port, members, "127.0.0.1")));
    try {
      InetSocketAddress local = (InetSocketAddress) m.getLocalEndpoint().getSocketAddress();
      assertTrue(local.getAddress().isLoopbackAddress(), local.toString());
      assertEquals(port, local.getPort());
      assertTrue(LocalAddresses.accepts(InetAddress.getByName("127.0.0.1"), port));
      other.ifPresent(
          a -> assertFalse(LocalAddresses.accepts(a, port), "the member is reachable on " + a));
      assertEquals(List.of(), warnings());
    } finally {
      m.shutdown();
    }
  }

  @Test
  void aMemberBoundBeyondLoopbackListensThereOnlyAndWarnsOnce() throws Exception {
    Optional<InetAddress> other = LocalAddresses.nonLoopback();
    assumeTrue(other.isPresent(), "no non-loopback address on this machine");
    int port = FreePorts.freePort();
    String ip = other.get().getHostAddress();
    HazelcastInstance m = HazelcastSetup.start(store(member(port, List.of(), ip)));
    try {
      InetSocketAddress local = (InetSocketAddress) m.getLocalEndpoint().getSocketAddress();
      assertEquals(other.get(), local.getAddress());
      assertTrue(LocalAddresses.accepts(other.get(), port));
      assertFalse(
          LocalAddresses.accepts(InetAddress.getByName("127.0.0.1"), port),
          "bound to " + ip + " only");
      List<String> warnings = warnings();
      assertEquals(1, warnings.size(), warnings.toString());
      assertTrue(warnings.get(0).contains("listens on " + ip + ":" + port), warnings.get(0));
      assertEquals(
          "WARN",
          log.list.stream()
              .filter(e -> e.getFormattedMessage().startsWith("hazelcast.exposed"))
              .findFirst()
              .orElseThrow()
              .getLevel()
              .toString());
    } finally {
      m.shutdown();
    }
  }

  @Test
  void everyInterfaceIsNamedInTheWarning() {
    StoreConfig.HazelcastConfig hz = member(5701, List.of("10.0.0.2:5701"), null);
    Config c = HazelcastSetup.memberConfig(hz, DEADLINE);
    Optional<String> w = HazelcastSetup.exposureWarning(c, new InetSocketAddress("10.0.0.1", 5701));
    assertTrue(w.isPresent());
    assertTrue(
        w.get().contains("every interface (0.0.0.0:5701; this member is 10.0.0.1:5701)"), w.get());
    assertTrue(w.get().contains("NetworkPolicy"), w.get());
    assertFalse(w.get().contains(hz.clusterName()), "names no cluster name: " + w.get());
  }

  @Test
  void theBindFollowsTheInterfaceElseTheJoinMethod() {
    assertEquals("127.0.0.1", HazelcastSetup.bindInterface(member(5701, List.of(), null)));
    assertEquals(
        "127.0.0.1", HazelcastSetup.bindInterface(member(5701, List.of("127.0.0.1:5702"), null)));
    assertEquals(
        "0.0.0.0", HazelcastSetup.bindInterface(member(5701, List.of("10.0.0.2:5701"), null)));
    assertEquals(
        "10.0.0.*",
        HazelcastSetup.bindInterface(member(5701, List.of("10.0.0.2:5701"), "10.0.0.*")));
    StoreConfig.HazelcastConfig k8s =
        new StoreConfig.HazelcastConfig(
            StoreConfig.Mode.EMBEDDED,
            "t",
            5701,
            List.of(),
            false,
            new StoreConfig.KubernetesConfig("tollgate-hz", null, null),
            1,
            null);
    assertEquals("0.0.0.0", HazelcastSetup.bindInterface(k8s));

    Config bound =
        HazelcastSetup.memberConfig(member(5701, List.of("10.0.0.2:5701"), "10.0.0.5"), DEADLINE);
    assertEquals("false", bound.getProperty("hazelcast.socket.bind.any"));
    assertTrue(bound.getNetworkConfig().getInterfaces().isEnabled());
    assertEquals(
        List.of("10.0.0.5"), List.copyOf(bound.getNetworkConfig().getInterfaces().getInterfaces()));
    assertEquals(
        Optional.empty(),
        HazelcastSetup.exposureWarning(
            HazelcastSetup.memberConfig(member(5701, List.of(), "127.0.0.1"), DEADLINE),
            new InetSocketAddress("127.0.0.1", 5701)));
  }
}
