package dev.tollgate.tokens;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.common.hash.Hashing;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Cached counts are the counter's counts; a re-sent history is hashed, not counted again. */
class TokenCountCacheTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[] WORDS = {
    "the",
    "quota",
    " gateway",
    "Envoy",
    "éè",
    "日本語",
    "🙂",
    "  ",
    "\n",
    "123456789",
    "x".repeat(40),
    "<|endoftext|>",
    "tokens,",
    "über",
    "العربية"
  };

  @Test
  void sipHashIsTheReferenceAlgorithmOverUtf16LittleEndian() {
    Random random = new Random(7);
    for (int i = 0; i < 200; i++) {
      long k0 = random.nextLong();
      long k1 = random.nextLong();
      String text = text(random, random.nextInt(40));
      char[] chars = text.toCharArray();
      long expected =
          Hashing.sipHash24(k0, k1).hashBytes(text.getBytes(StandardCharsets.UTF_16LE)).asLong();
      assertEquals(expected, new SipHash(k0, k1).hash(chars, 0, chars.length), text);
    }
  }

  @Test
  void sipHashDependsOnTheKeyAndTheSlice() {
    char[] chars = "some text long enough to matter".toCharArray();
    assertNotEquals(new SipHash(1, 2).hash(chars, 0, 10), new SipHash(1, 3).hash(chars, 0, 10));
    assertNotEquals(new SipHash(1, 2).hash(chars, 0, 10), new SipHash(1, 2).hash(chars, 1, 10));
  }

  @Test
  void cachedCountsEqualUncachedCountsForEveryModelAndShape() {
    PromptCounter plain = new PromptCounter(SharedEncodings.get(), TokenCountCache.disabled());
    PromptCounter cached = new PromptCounter(SharedEncodings.get(), new TokenCountCache(1000));
    Random random = new Random(11);
    for (String model : new String[] {"gpt-4o", "gpt-4", "gpt-3.5-turbo", "text-davinci-003"}) {
      for (int i = 0; i < 30; i++) {
        byte[] body = conversation(model, random, 1 + random.nextInt(6), i % 2 == 0);
        long expected = prompt(plain, body);
        assertEquals(expected, prompt(cached, body), model + " first");
        assertEquals(expected, prompt(cached, body), model + " again, from the cache");
      }
    }
    assertTrue(cached.cache().hits() > 0, "the second reading hit the cache");
  }

  @Test
  void aConversationPaysTheTokenizerForTheNewTurnOnly() {
    PromptCounter cached = new PromptCounter(SharedEncodings.get(), new TokenCountCache(1000));
    PromptCounter plain = new PromptCounter(SharedEncodings.get(), TokenCountCache.disabled());
    Random random = new Random(3);
    ArrayNode messages = JSON.createArrayNode();
    for (int turn = 1; turn <= 20; turn++) {
      messages.addObject().put("role", "user").put("content", text(random, 400));
      ObjectNode body = JSON.createObjectNode();
      body.set("messages", messages); // the Python SDK writes messages before model
      body.put("model", "gpt-4o");
      long missesBefore = cached.cache().misses();
      long hitsBefore = cached.cache().hits();
      byte[] bytes = bytes(body);
      assertEquals(prompt(plain, bytes), prompt(cached, bytes), "turn " + turn);
      assertEquals(1, cached.cache().misses() - missesBefore, "turn " + turn + ": one new text");
      assertEquals(turn - 1, cached.cache().hits() - hitsBefore, "turn " + turn + ": the history");
      messages.addObject().put("role", "assistant").put("content", "ok");
    }
  }

  @Test
  void shortTextsAreCountedNotCached() {
    PromptCounter cached = new PromptCounter(SharedEncodings.get(), new TokenCountCache(1000));
    ObjectNode body = JSON.createObjectNode().put("model", "gpt-4o");
    body.putArray("messages")
        .addObject()
        .put("role", "user")
        .put("content", "x".repeat(TokenCountCache.MIN_CHARS - 1));
    prompt(cached, bytes(body));
    prompt(cached, bytes(body));
    assertEquals(0, cached.cache().hits() + cached.cache().misses());
  }

  @Test
  void theCacheStaysWithinItsBound() {
    TokenCountCache cache = new TokenCountCache(50);
    PromptCounter cached = new PromptCounter(SharedEncodings.get(), cache);
    Random random = new Random(5);
    for (int i = 0; i < 500; i++) {
      prompt(cached, conversation("gpt-4o", random, 1, false));
    }
    assertTrue(cache.size() <= 50, "size " + cache.size());
  }

  private static long prompt(PromptCounter counter, byte[] body) {
    return counter.parse(ApiKind.CHAT_COMPLETIONS, body, false, Set.of(), m -> null).promptTokens();
  }

  private static byte[] conversation(String model, Random random, int n, boolean modelFirst) {
    ObjectNode body = JSON.createObjectNode();
    if (modelFirst) {
      body.put("model", model);
    }
    ArrayNode messages = body.putArray("messages");
    for (int i = 0; i < n; i++) {
      messages
          .addObject()
          .put("role", i % 2 == 0 ? "user" : "assistant")
          .put("content", text(random, random.nextInt(3) == 0 ? 20 : 300 + random.nextInt(700)));
    }
    if (!modelFirst) {
      body.put("model", model);
    }
    return bytes(body);
  }

  private static String text(Random random, int words) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < words; i++) {
      b.append(WORDS[random.nextInt(WORDS.length)]);
      if (random.nextBoolean()) {
        b.append(' ');
      }
    }
    return b.toString();
  }

  private static byte[] bytes(ObjectNode body) {
    try {
      return JSON.writeValueAsBytes(body);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
