package dev.tollgate.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class LiveConfigTest {
  static TollgateConfig config(String keys) throws ConfigException {
    return ConfigLoader.parse(
        """
        upstream: { api_key: sk-upstream-test }
        keys:
        %s
        models:
          gpt-4o-mini: { input_usd_per_mtok: 0.15, output_usd_per_mtok: 0.60 }
        tiers:
          default: { models: [gpt-4o-mini], limits: [{ scope: user, window: 5m, tokens: 100 }] }
        store: { type: memory }
        """
            .formatted(keys.indent(2).stripTrailing()),
        "live.yaml",
        Map.of());
  }

  static String key(String name, char hex) {
    return "- { name: " + name + ", sha256: \"" + String.valueOf(hex).repeat(64) + "\" }\n";
  }

  @Test
  void whatWasTakenBeforeAReplaceStaysAsItWas() throws Exception {
    LiveConfig live = LiveConfig.of(config(key("a", 'a')));
    Supplier<List<String>> names =
        live.derive(c -> c.keys().stream().map(ServiceKeyConfig::name).toList());
    List<String> inFlight = names.get();
    List<TollgateConfig> told = new CopyOnWriteArrayList<>();
    live.onReplace(told::add);

    TollgateConfig next = config(key("a", 'a') + key("b", 'b'));
    live.replace(next);

    assertEquals(List.of("a"), inFlight);
    assertEquals(List.of("a", "b"), names.get());
    assertSame(names.get(), names.get(), "built once per configuration");
    assertSame(next, live.get());
    assertEquals(List.of(next), told);
  }

  @Test
  void aDerivationThatFailsReplacesNothing() throws Exception {
    TollgateConfig first = config(key("a", 'a'));
    LiveConfig live = LiveConfig.of(first);
    Supplier<Integer> ok = live.derive(c -> c.keys().size());
    live.derive(
        c -> {
          if (c.keys().size() > 1) {
            throw new IllegalArgumentException("no");
          }
          return "fine";
        });

    assertThrows(
        IllegalArgumentException.class, () -> live.replace(config(key("a", 'a') + key("b", 'b'))));

    assertSame(first, live.get());
    assertEquals(1, ok.get());
  }
}
