package dev.tollgate.response;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.knuddels.jtokkit.api.Encoding;
import dev.tollgate.Fixtures;
import dev.tollgate.tokens.ApiKind;
import dev.tollgate.tokens.Encodings;
import dev.tollgate.tokens.SharedEncodings;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Usage from responses: JSON bodies and SSE streams split anywhere, with and without reported
 * usage.
 */
class ResponseUsageTest {
  private static Encoding o200k;
  private static byte[] captured;

  @BeforeAll
  static void load() throws Exception {
    o200k = new Encodings().encodingFor("gpt-4o", null);
    captured =
        Files.readAllBytes(Fixtures.path("chat_completions/stream_include_usage_captured.sse"));
  }

  static Usage run(ApiKind api, boolean stream, byte[]... chunks) {
    ResponseUsage u = new ResponseUsage(api, SharedEncodings.get().encodingFor("gpt-4o", null), 14);
    u.streaming(stream);
    for (byte[] c : chunks) {
      u.feed(c, 0, c.length);
    }
    u.finish();
    return u.usage();
  }

  static byte[][] split(byte[] all, int... at) {
    List<byte[]> parts = new ArrayList<>();
    int prev = 0;
    for (int a : at) {
      parts.add(java.util.Arrays.copyOfRange(all, prev, a));
      prev = a;
    }
    parts.add(java.util.Arrays.copyOfRange(all, prev, all.length));
    return parts.toArray(byte[][]::new);
  }

  @Test
  void deltasOverThePendingBoundAreStillAllCountedAndAUsageAfterThemWins() {
    StringBuilder sse = new StringBuilder();
    long expected = 0;
    Random r = new Random(5);
    int chars = 0;
    for (int i = 0; chars <= 3 * ResponseUsage.MAX_PENDING_CHARS; i++) {
      String word = "tok" + r.nextInt(100000) + (i % 7 == 0 ? " ünïcode 日本" : " word");
      expected += o200k.countTokensOrdinary(word);
      String line = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + word + "\"}}]}";
      chars += line.length();
      sse.append(line).append("\n\n");
    }
    byte[] body = sse.toString().getBytes(StandardCharsets.UTF_8);
    Usage counted =
        run(ApiKind.CHAT_COMPLETIONS, true, split(body, body.length / 3, body.length / 2));
    assertFalse(counted.fromProvider());
    assertEquals(
        expected,
        counted.outputTokens(),
        "every delta counted, before and after the pending bound");

    byte[] withUsage =
        (sse + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}\n\n")
            .getBytes(StandardCharsets.UTF_8);
    Usage reported = run(ApiKind.CHAT_COMPLETIONS, true, withUsage);
    assertTrue(reported.fromProvider());
    assertEquals(4, reported.outputTokens());
  }

  @Test
  void capturedStreamSettles14And30AtEverySplitPoint() {
    for (int i = 0; i <= captured.length; i++) {
      Usage u = run(ApiKind.CHAT_COMPLETIONS, true, split(captured, i));
      assertTrue(u.fromProvider(), "split at " + i);
      assertEquals(14, u.inputTokens(), "split at " + i);
      assertEquals(30, u.outputTokens(), "split at " + i);
    }
  }

  @Test
  void oneByteChunksAndCrlfWork() {
    byte[][] bytes = new byte[captured.length][];
    for (int i = 0; i < captured.length; i++) {
      bytes[i] = new byte[] {captured[i]};
    }
    assertEquals(44, run(ApiKind.CHAT_COMPLETIONS, true, bytes).totalTokens());
    byte[] crlf =
        new String(captured, StandardCharsets.UTF_8)
            .replace("\n", "\r\n")
            .getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < crlf.length; i += 7) {
      assertEquals(
          44, run(ApiKind.CHAT_COMPLETIONS, true, split(crlf, i)).totalTokens(), "crlf split " + i);
    }
  }

  @Test
  void streamCutBeforeTheUsageChunkCountsTheDeltas() {
    String text = new String(captured, StandardCharsets.UTF_8);
    byte[] cut =
        text.substring(0, text.indexOf("\"choices\":[],")).getBytes(StandardCharsets.UTF_8);
    cut =
        java.util.Arrays.copyOf(cut, new String(cut, StandardCharsets.UTF_8).lastIndexOf("data:"));
    Usage u = run(ApiKind.CHAT_COMPLETIONS, true, cut);
    assertFalse(u.fromProvider());
    assertEquals(14, u.inputTokens(), "the admission's prompt count");
    assertEquals(30, u.outputTokens(), "tokenized deltas");
  }

  @Test
  void specStyleAndCompletionsStreams() throws Exception {
    Usage spec =
        run(
            ApiKind.CHAT_COMPLETIONS,
            true,
            Files.readAllBytes(
                Fixtures.path("chat_completions/stream_include_usage_spec_style.sse")));
    assertTrue(spec.fromProvider());
    Usage comp =
        run(
            ApiKind.COMPLETIONS,
            true,
            Files.readAllBytes(Fixtures.path("completions/stream_include_usage_CONSTRUCTED.sse")));
    assertTrue(comp.fromProvider());
  }

  @Test
  void responsesNamedEventStream() throws Exception {
    byte[] all = Files.readAllBytes(Fixtures.path("responses/stream.sse"));
    for (int i = 0; i <= all.length; i += 13) {
      Usage u = run(ApiKind.RESPONSES, true, split(all, i));
      assertEquals(37, u.inputTokens(), "split " + i);
      assertEquals(11, u.outputTokens(), "split " + i);
    }
  }

  @Test
  void jsonBodiesOfEveryApi() throws Exception {
    ObjectMapper json = new ObjectMapper();
    Usage chat =
        run(
            ApiKind.CHAT_COMPLETIONS,
            false,
            Files.readAllBytes(Fixtures.path("chat_completions/response_captured.json")));
    assertEquals(14, chat.inputTokens());
    assertEquals(37, chat.outputTokens());
    Usage details =
        run(
            ApiKind.CHAT_COMPLETIONS,
            false,
            Files.readAllBytes(
                Fixtures.path("chat_completions/response_cached_and_reasoning_ILLUSTRATIVE.json")));
    var expected =
        json.readTree(
                Fixtures.path("chat_completions/response_cached_and_reasoning_ILLUSTRATIVE.json")
                    .toFile())
            .get("usage");
    assertEquals(
        expected.get("prompt_tokens_details").get("cached_tokens").asLong(),
        details.cachedInputTokens());
    assertEquals(
        expected.get("completion_tokens_details").get("reasoning_tokens").asLong(),
        details.reasoningTokens());
    Usage resp =
        run(
            ApiKind.RESPONSES,
            false,
            Files.readAllBytes(Fixtures.path("responses/response_captured.json")));
    assertEquals(14, resp.inputTokens());
    assertEquals(50, resp.outputTokens());
    Usage emb =
        run(
            ApiKind.EMBEDDINGS,
            false,
            Files.readAllBytes(Fixtures.path("embeddings/response.json")));
    assertEquals(8, emb.inputTokens());
    assertEquals(0, emb.outputTokens());
  }

  @Test
  void gzipAndDeflateBodiesDecodeChunkByChunk() throws Exception {
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream g = new GZIPOutputStream(gz)) {
      g.write(captured);
    }
    byte[] z = gz.toByteArray();
    for (int i = 0; i <= z.length; i += 5) {
      BodyDecoder d = BodyDecoder.forEncoding("gzip");
      ResponseUsage u = new ResponseUsage(ApiKind.CHAT_COMPLETIONS, o200k, 14);
      u.streaming(true);
      for (byte[] part : split(z, i)) {
        d.decode(part, u::feed);
      }
      u.finish();
      assertEquals(44, u.usage().totalTokens(), "gzip split " + i);
    }
    java.util.zip.Deflater def = new java.util.zip.Deflater();
    def.setInput(captured);
    def.finish();
    byte[] buf = new byte[captured.length * 2];
    byte[] deflated = java.util.Arrays.copyOf(buf, def.deflate(buf));
    BodyDecoder d = BodyDecoder.forEncoding("deflate");
    ResponseUsage u = new ResponseUsage(ApiKind.CHAT_COMPLETIONS, o200k, 14);
    u.streaming(true);
    for (byte[] part : split(deflated, deflated.length / 3, deflated.length / 2)) {
      d.decode(part, u::feed);
    }
    u.finish();
    assertEquals(44, u.usage().totalTokens());
  }

  @Test
  void oversizeLinesAreDroppedNotBuffered() {
    List<String> events = new ArrayList<>();
    SseParser p = new SseParser((e, d) -> events.add(d), 1024);
    p.feed(("data: " + "x".repeat(5000) + "\n\ndata: ok\n\n").getBytes(StandardCharsets.UTF_8));
    p.finish();
    assertEquals(List.of("ok"), events);
    assertEquals(1, p.droppedLines());
  }

  /** Property: random streams split at random points parse to the usage they carry. */
  @Test
  void randomStreamsRandomSplitsGiveTheirUsage() {
    ObjectMapper json = new ObjectMapper();
    Random rnd = new Random(20261122);
    String[] words = {
      "hello", " world", " tokens", "é", " 数据", "\\n", " quota", "!", " stream", " a"
    };
    for (int c = 0; c < 400; c++) {
      StringBuilder s = new StringBuilder();
      String eol = rnd.nextBoolean() ? "\n" : "\r\n";
      int chunks = 1 + rnd.nextInt(30);
      for (int i = 0; i < chunks; i++) {
        ObjectNode chunk =
            json.createObjectNode().put("id", "c" + c).put("object", "chat.completion.chunk");
        chunk
            .putArray("choices")
            .addObject()
            .put("index", 0)
            .putObject("delta")
            .put("content", words[rnd.nextInt(words.length)]);
        if (rnd.nextBoolean()) {
          chunk.putNull("usage");
        }
        if (rnd.nextInt(5) == 0) {
          s.append(": keep-alive").append(eol);
        }
        s.append("data: ").append(chunk).append(eol).append(eol);
      }
      long prompt = rnd.nextInt(100000);
      long completion = rnd.nextInt(100000);
      ObjectNode last = json.createObjectNode().put("id", "c" + c);
      last.putArray("choices");
      last.putObject("usage")
          .put("prompt_tokens", prompt)
          .put("completion_tokens", completion)
          .put("total_tokens", prompt + completion);
      s.append("data: ")
          .append(last)
          .append(eol)
          .append(eol)
          .append("data: [DONE]")
          .append(eol)
          .append(eol);
      byte[] all = s.toString().getBytes(StandardCharsets.UTF_8);
      int cuts = rnd.nextInt(6);
      int[] at = new int[cuts];
      for (int i = 0; i < cuts; i++) {
        at[i] = rnd.nextInt(all.length + 1);
      }
      java.util.Arrays.sort(at);
      Usage u = run(ApiKind.CHAT_COMPLETIONS, true, split(all, at));
      assertEquals(prompt, u.inputTokens(), "case " + c);
      assertEquals(completion, u.outputTokens(), "case " + c);
    }
  }
}
