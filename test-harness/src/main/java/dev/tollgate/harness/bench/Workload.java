package dev.tollgate.harness.bench;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The benchmark's cases and their traffic: chat bodies of a given size, each one different (so no
 * cache could hide the tokenizer's cost), conversations that resend their history, and the SSE
 * answer a streamed case reads in chunks.
 */
enum Workload {
  A("a", "Check, 1 KiB chat body", 1024, 1024, false),
  B("b", "Check, 100 KiB chat body", 100 * 1024, 48, false),
  C("c", "Check + stream, 20 SSE chunks", 1024, 1024, true),
  D("d", "Check, conversation 8-20 turns", 0, 0, false),
  E("e", "Check, one user at its limit", 1024, 1024, false);

  /** Distinct end users the requests are spread over. */
  static final int USERS = 1000;

  /** The one user of case (e). */
  static final String CONTENDED_USER = "user-contended";

  /** Chunks of the streamed answer in case (c). */
  static final int CHUNKS = 20;

  private static final String[] WORDS = {
    "the",
    "quota",
    "gateway",
    "counts",
    "tokens",
    "before",
    "every",
    "request",
    "reaches",
    "upstream",
    "Envoy",
    "calls",
    "Tollgate",
    "with",
    "headers",
    "and",
    "body",
    "of",
    "a",
    "chat",
    "completion",
    "model",
    "answer",
    "stream",
    "usage",
    "reservation",
    "settles",
    "window",
    "minute",
    "hour",
    "day",
    "month",
    "budget",
    "price",
    "table",
    "per",
    "user",
    "conversation",
    "key",
    "global",
    "limit",
    "retry",
    "after",
    "seconds",
    "2026",
    "42",
    "3.14159",
    "1,024",
    "#17",
    "don't",
    "it's",
    "we'll",
    "I'm",
    "you're",
    "x86_64",
    "HTTP/2",
    "gRPC",
    "JSON",
    "SSE",
    "café",
    "naïve",
    "Zürich",
    "São",
    "Paulo",
    "日本語",
    "のテキスト",
    "中文",
    "内容",
    "Привет",
    "мир",
    "مرحبا",
    "שלום",
    "😀",
    "🚀",
    "→",
    "—",
    "foo_bar",
    "fooBar",
    "snake_case",
    "CamelCase",
    "i++",
    "a+b=c",
    "(x)",
    "[y]",
    "{z}",
    "<tag>",
    "@user",
    "$HOME",
    "100%",
    "v1.2.3",
    "e.g.",
    "i.e.",
    "etc.",
    "…",
    "¿qué?",
    "¡sí!",
    "Ελληνικά",
    "한국어",
    "हिन्दी",
    "ไทย",
  };

  final String id;
  final String title;
  final int bodyBytes;
  final int distinctBodies;
  final boolean streamed;

  Workload(String id, String title, int bodyBytes, int distinctBodies, boolean streamed) {
    this.id = id;
    this.title = title;
    this.bodyBytes = bodyBytes;
    this.distinctBodies = distinctBodies;
    this.streamed = streamed;
  }

  static Workload of(String id) {
    String name = id.trim();
    if (name.equalsIgnoreCase("contention")) {
      return E;
    }
    for (Workload w : values()) {
      if (w.id.equalsIgnoreCase(name)) {
        return w;
      }
    }
    throw new IllegalArgumentException(
        "unknown case '" + id + "' (expected: a, b, c, d, or e (contention))");
  }

  /**
   * Whether the case is compared with the no-op baseline; (e) is not: it measures admission at a
   * limit, not speed.
   */
  boolean paired() {
    return this != E;
  }

  /** The case's requests: bodies and the users they are sent for. */
  Traffic traffic(long seed) {
    return switch (this) {
      case A, B, C -> Traffic.spread(bodies(seed));
      case D -> Conversations.generate(seed);
      case E -> Traffic.oneUser(bodies(seed), CONTENDED_USER);
    };
  }

  /**
   * {@link #distinctBodies} chat completion request bodies of about {@link #bodyBytes} bytes each.
   */
  List<ByteString> bodies(long seed) {
    SplittableRandom r = new SplittableRandom(seed ^ ordinal());
    List<ByteString> out = new ArrayList<>(distinctBodies);
    for (int i = 0; i < distinctBodies; i++) {
      String head =
          "{\"model\":\"gpt-4o-mini\",\"max_tokens\":256,"
              + (streamed ? "\"stream\":true," : "")
              + "\"messages\":[{\"role\":\"system\",\"content\":\"You are assistant #"
              + i
              + ". "
              + text(r, 60)
              + "\"},{\"role\":\"user\",\"content\":\"";
      String tail = "\"}]}";
      int room = bodyBytes - utf8(head) - utf8(tail);
      out.add(ByteString.copyFrom(head + text(r, room) + tail, StandardCharsets.UTF_8));
    }
    return out;
  }

  /**
   * The upstream's SSE answer (deltas, then the usage chunk and [DONE]) cut into {@link #CHUNKS}
   * reads.
   */
  static List<ByteString> sseChunks() {
    StringBuilder sse = new StringBuilder();
    SplittableRandom r = new SplittableRandom(7);
    String prefix =
        "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1764460800,"
            + "\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"delta\":{";
    sse.append(prefix)
        .append("\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n");
    for (int i = 0; i < 60; i++) {
      sse.append(prefix)
          .append("\"content\":\"")
          .append(WORDS[r.nextInt(WORDS.length)])
          .append(' ')
          .append("\"},\"finish_reason\":null}]}\n\n");
    }
    sse.append(prefix).append("},\"finish_reason\":\"stop\"}]}\n\n");
    sse.append(
            "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1764460800,")
        .append(
            "\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[],\"usage\":{\"prompt_tokens\":250,")
        .append("\"completion_tokens\":75,\"total_tokens\":325}}\n\ndata: [DONE]\n\n");
    byte[] all = sse.toString().getBytes(StandardCharsets.UTF_8);
    List<ByteString> chunks = new ArrayList<>(CHUNKS);
    for (int i = 0; i < CHUNKS; i++) {
      // network reads cut anywhere: inside events, lines and multi-byte characters
      chunks.add(
          ByteString.copyFrom(
              all,
              all.length * i / CHUNKS,
              all.length * (i + 1) / CHUNKS - all.length * i / CHUNKS));
    }
    return chunks;
  }

  /** About {@code bytes} bytes of mixed-script words, JSON-string safe. */
  static String text(SplittableRandom r, int bytes) {
    StringBuilder sb = new StringBuilder();
    int used = 0;
    while (true) {
      String w = WORDS[r.nextInt(WORDS.length)];
      String sep = r.nextInt(12) == 0 ? "\\n" : r.nextInt(9) == 0 ? ", " : " ";
      int n = utf8(w) + sep.length();
      if (used + n > bytes) {
        break;
      }
      sb.append(w).append(sep);
      used += n;
    }
    while (used < bytes) {
      sb.append('.');
      used++;
    }
    return sb.toString();
  }

  static int utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }
}
