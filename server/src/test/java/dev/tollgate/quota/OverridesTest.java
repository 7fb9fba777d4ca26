package dev.tollgate.quota;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class OverridesTest {
  private static final Limit FIVE_MIN = new Limit(Window.parse("5m"), Unit.TOKENS, 100);
  private static final Limit DAY = new Limit(Window.parse("1d"), Unit.TOKENS, 1000);
  private static final Limit DAY_USD = new Limit(Window.parse("1d"), Unit.NANO_USD, 1000);

  private static LimitOverride user(String id, Limit... limits) {
    return new LimitOverride(Scope.USER, id, List.of(limits), 1);
  }

  @Test
  void anOverrideIsOneUserOrKeyWithOneToSixteenDistinctLimits() {
    assertEquals("user:alice", user("alice", FIVE_MIN, DAY, DAY_USD).key());
    assertEquals("key:web", new LimitOverride(Scope.KEY, "web", List.of(DAY), 1).key());
    assertThrows(
        IllegalArgumentException.class,
        () -> new LimitOverride(Scope.GLOBAL, "x", List.of(DAY), 1));
    assertThrows(
        IllegalArgumentException.class,
        () -> new LimitOverride(Scope.CONVERSATION, "x", List.of(DAY), 1));
    assertThrows(IllegalArgumentException.class, () -> user("", DAY));
    assertThrows(IllegalArgumentException.class, () -> user("a".repeat(257), DAY));
    user("a".repeat(256), DAY);
    assertThrows(IllegalArgumentException.class, () -> user("alice"));
    List<Limit> seventeen = new ArrayList<>();
    for (int i = 1; i <= 17; i++) {
      seventeen.add(new Limit(Window.parse(i + "h"), Unit.TOKENS, 1));
    }
    assertThrows(
        IllegalArgumentException.class, () -> new LimitOverride(Scope.USER, "alice", seventeen, 1));
    new LimitOverride(Scope.USER, "alice", seventeen.subList(0, 16), 1);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> user("alice", DAY, new Limit(Window.parse("1d"), Unit.TOKENS, 5)));
    assertTrue(e.getMessage().contains("a second limit on window 1d in tokens"), e.getMessage());
  }

  @Test
  void inMemoryOverridesReplaceTheTiersLimitsOfTheirScopeAndIdOnly() {
    Overrides o = new InMemoryOverrides();
    List<Limit> tier = List.of(FIVE_MIN);
    assertEquals(tier, o.limitsFor(Scope.USER, "alice", tier));
    o.set(user("alice", DAY, DAY_USD));
    o.set(new LimitOverride(Scope.KEY, "alice", List.of(FIVE_MIN), 2));
    assertEquals(List.of(DAY, DAY_USD), o.limitsFor(Scope.USER, "alice", tier));
    assertEquals(tier, o.limitsFor(Scope.USER, "bob", tier));
    assertEquals(tier, o.limitsFor(Scope.CONVERSATION, "alice", tier));
    assertEquals(tier, o.limitsFor(Scope.USER, null, tier));
    // replaced, not merged
    o.set(user("alice", FIVE_MIN));
    assertEquals(List.of(FIVE_MIN), o.get(Scope.USER, "alice").orElseThrow().limits());
    o.set(user("bob", DAY));
    assertEquals(
        List.of("user:alice", "user:bob", "key:alice"),
        o.list(null).stream().map(LimitOverride::key).toList());
    assertEquals(List.of("key:alice"), o.list(Scope.KEY).stream().map(LimitOverride::key).toList());
    assertTrue(o.clear(Scope.USER, "alice"));
    assertFalse(o.clear(Scope.USER, "alice"));
    assertEquals(tier, o.limitsFor(Scope.USER, "alice", tier));
  }
}
