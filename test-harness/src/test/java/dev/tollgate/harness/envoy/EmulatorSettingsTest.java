package dev.tollgate.harness.envoy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tollgate.testsupport.RepoRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The emulator reads every bootstrap in {@code envoy/}, and follows their ext_proc forward_rules.
 */
class EmulatorSettingsTest {
  static Path envoyDir() {
    return RepoRoot.get().resolve("envoy");
  }

  @Test
  void readsEveryShippedBootstrap() throws Exception {
    List<Path> files;
    try (Stream<Path> s = Files.list(envoyDir())) {
      files = s.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
    }
    assertFalse(files.isEmpty());
    for (Path f : files) {
      EmulatorSettings s = EmulatorSettings.fromBootstrap(f);
      if (f.getFileName().toString().equals("envoy-gpt-action.yaml")) {
        // ingress: ext_authz only, no body in the Check (GptActionTest runs it)
        assertFalse(s.extProc(), f.toString());
        assertEquals(0, s.maxRequestBytes(), f.toString());
        continue;
      }
      assertTrue(s.extProc(), f.toString());
      assertFalse(
          s.forwardsToProcessor("authorization"), f + ": ext_proc would be sent the upstream key");
      for (String needed : List.of(":status", "content-type", "content-encoding")) {
        assertTrue(s.forwardsToProcessor(needed), f + ": " + needed);
      }
    }
  }

  @Test
  void withoutForwardRulesEveryHeaderIsSent() throws Exception {
    EmulatorSettings s =
        EmulatorSettings.fromBootstrap(envoyDir().resolve("envoy-local.yaml"))
            .withForwardRules(
                io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.HeaderForwardingRules
                    .getDefaultInstance());
    assertTrue(s.forwardsToProcessor("authorization"));
    assertEquals(8388608, s.maxRequestBytes());
  }
}
