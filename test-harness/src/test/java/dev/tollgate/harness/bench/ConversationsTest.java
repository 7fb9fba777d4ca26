package dev.tollgate.harness.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Case (d): sessions of 8-20 turns whose bodies resend the history, over all users. */
class ConversationsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Conversations TRAFFIC = Conversations.generate(GeneratorProcess.SEED);

  @Test
  void everyTurnResendsTheHistoryAndAddsOneQuestion() throws Exception {
    // the first pass: request i is a turn of the session whose user it names
    Map<String, List<JsonNode>> bySession = new HashMap<>();
    for (int i = 0; i < TRAFFIC.size(); i++) {
      JsonNode body = JSON.readTree(TRAFFIC.body(i).toStringUtf8());
      assertEquals("gpt-4o-mini", body.get("model").asText());
      bySession.computeIfAbsent(TRAFFIC.user(i), u -> new ArrayList<>()).add(body.get("messages"));
    }
    assertEquals(Conversations.SESSIONS, bySession.size());
    for (List<JsonNode> turns : bySession.values()) {
      assertTrue(
          turns.size() >= Conversations.MIN_TURNS && turns.size() <= Conversations.MAX_TURNS,
          "turns: " + turns.size());
      for (int t = 0; t < turns.size(); t++) {
        JsonNode messages = turns.get(t);
        assertEquals(2 + 2 * t, messages.size(), "system, then question and answer per turn");
        assertEquals("system", messages.get(0).get("role").asText());
        assertEquals("user", messages.get(messages.size() - 1).get("role").asText());
        if (t > 0) {
          JsonNode before = turns.get(t - 1);
          for (int m = 0; m < before.size(); m++) {
            assertEquals(before.get(m), messages.get(m), "turn " + t + " resends message " + m);
          }
          assertEquals("assistant", messages.get(before.size()).get("role").asText());
        }
      }
    }
  }

  @Test
  void passesOverTheSessionsCoverEveryUser() {
    Set<String> users = new HashSet<>();
    for (long seq = 0; seq < 4L * TRAFFIC.size(); seq++) {
      users.add(TRAFFIC.user(seq));
    }
    assertEquals(Workload.USERS, users.size());
  }

  @Test
  void aSessionsTurnsComeOneRoundApart() {
    // consecutive requests belong to different sessions, so 32 in flight are 32 conversations
    for (int i = 1; i < Conversations.SESSIONS; i++) {
      assertTrue(!TRAFFIC.user(i).equals(TRAFFIC.user(i - 1)));
    }
  }
}
