package dev.tollgate.harness.bench;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Case (d): chat sessions of 8 to 20 turns, each turn's body resending the whole history (system
 * prompt, every earlier question and answer, the new question), as a chat client does. The
 * sessions' turns are interleaved (turn 1 of every session, then turn 2, ...), so a session's next
 * turn comes after the others' current ones; each pass over the sessions moves them to other users,
 * so the traffic covers all {@link Workload#USERS} users.
 */
final class Conversations implements Traffic {
  /** Sessions generated; a pass over them is one round of their turns. */
  static final int SESSIONS = 256;

  static final int MIN_TURNS = 8;
  static final int MAX_TURNS = 20;

  private final List<ByteString> bodies;
  private final int[] session;

  private Conversations(List<ByteString> bodies, int[] session) {
    this.bodies = bodies;
    this.session = session;
  }

  /** The sessions of seed {@code seed}, their turns interleaved. */
  static Conversations generate(long seed) {
    SplittableRandom r = new SplittableRandom(seed ^ 0x5e55_1075L);
    List<List<ByteString>> turns = new ArrayList<>(SESSIONS);
    int longest = 0;
    for (int s = 0; s < SESSIONS; s++) {
      turns.add(session(r, s, MIN_TURNS + r.nextInt(MAX_TURNS - MIN_TURNS + 1)));
      longest = Math.max(longest, turns.get(s).size());
    }
    List<ByteString> bodies = new ArrayList<>();
    List<Integer> owner = new ArrayList<>();
    for (int t = 0; t < longest; t++) {
      for (int s = 0; s < SESSIONS; s++) {
        if (t < turns.get(s).size()) {
          bodies.add(turns.get(s).get(t));
          owner.add(s);
        }
      }
    }
    return new Conversations(
        List.copyOf(bodies), owner.stream().mapToInt(Integer::intValue).toArray());
  }

  private static List<ByteString> session(SplittableRandom r, int id, int turns) {
    StringBuilder history = new StringBuilder();
    history
        .append("{\"role\":\"system\",\"content\":\"You are assistant #")
        .append(id)
        .append(". ")
        .append(Workload.text(r, 120 + r.nextInt(200)))
        .append("\"}");
    List<ByteString> out = new ArrayList<>(turns);
    for (int t = 0; t < turns; t++) {
      history
          .append(",{\"role\":\"user\",\"content\":\"")
          .append(Workload.text(r, 100 + r.nextInt(400)))
          .append("\"}");
      out.add(
          ByteString.copyFrom(
              "{\"model\":\"gpt-4o-mini\",\"max_tokens\":256,\"messages\":[" + history + "]}",
              StandardCharsets.UTF_8));
      history
          .append(",{\"role\":\"assistant\",\"content\":\"")
          .append(Workload.text(r, 300 + r.nextInt(1200)))
          .append("\"}");
    }
    return out;
  }

  /** Requests in one pass over the sessions. */
  int size() {
    return bodies.size();
  }

  @Override
  public ByteString body(long seq) {
    return bodies.get((int) (seq % bodies.size()));
  }

  @Override
  public String user(long seq) {
    long pass = seq / bodies.size();
    return "user-" + ((session[(int) (seq % bodies.size())] + pass * SESSIONS) % Workload.USERS);
  }
}
