package dev.tollgate.harness.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.InternalServerException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import dev.tollgate.tokens.Encodings;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The mock upstream speaks the OpenAI API as the official Java SDK expects it. */
class MockOpenAiTest {
  private static final String KEY = "sk-upstream-mock";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static MockOpenAi mock;
  private static OpenAIClient client;
  private static Encodings encodings;

  @BeforeAll
  static void start() throws Exception {
    encodings = new Encodings();
    mock = MockOpenAi.start(0, KEY, encodings);
    client = OpenAIOkHttpClient.builder().apiKey(KEY).baseUrl(mock.baseUrl()).maxRetries(0).build();
  }

  @AfterAll
  static void stop() {
    client.close();
    mock.close();
  }

  private static ChatCompletionCreateParams.Builder chat() {
    return ChatCompletionCreateParams.builder()
        .model("gpt-4o-mini")
        .addUserMessage("What's the weather like in SF?");
  }

  @Test
  void chatReportsTheUsageItServed() {
    ChatCompletion c = client.chat().completions().create(chat().build());
    assertFalse(c.choices().get(0).message().content().orElseThrow().isEmpty());
    var usage = c.usage().orElseThrow();
    assertEquals(14, usage.promptTokens(), "the cookbook count for this message");
    MockOpenAi.Usage served = mock.served().get(mock.served().size() - 1);
    assertEquals(served.completionTokens(), usage.completionTokens());
  }

  @Test
  void streamingChatWithAndWithoutUsage() {
    List<String> text = new ArrayList<>();
    long[] reported = {-1};
    try (StreamResponse<ChatCompletionChunk> s =
        client
            .chat()
            .completions()
            .createStreaming(
                chat()
                    .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
                    .build())) {
      s.stream()
          .forEach(
              chunk -> {
                chunk.choices().forEach(ch -> ch.delta().content().ifPresent(text::add));
                chunk.usage().ifPresent(u -> reported[0] = u.completionTokens());
              });
    }
    assertTrue(text.size() > 5);
    assertEquals(mock.served().get(mock.served().size() - 1).completionTokens(), reported[0]);
    try (StreamResponse<ChatCompletionChunk> s =
        client.chat().completions().createStreaming(chat().build())) {
      assertTrue(s.stream().noneMatch(chunk -> chunk.usage().isPresent()), "no usage unless asked");
    }
  }

  @Test
  void maxTokensCutsTheAnswer() {
    ChatCompletion c = client.chat().completions().create(chat().maxCompletionTokens(3).build());
    assertEquals(3, c.usage().orElseThrow().completionTokens());
  }

  @Test
  void responsesAndEmbeddings() {
    Response r =
        client
            .responses()
            .create(
                ResponseCreateParams.builder()
                    .model("gpt-4o-mini")
                    .input("What's the weather like in SF?")
                    .build());
    assertEquals(14, r.usage().orElseThrow().inputTokens());
    assertTrue(r.usage().orElseThrow().outputTokens() > 5);
    CreateEmbeddingResponse e =
        client
            .embeddings()
            .create(
                EmbeddingCreateParams.builder()
                    .model("text-embedding-3-small")
                    .input("The food was delicious and the waiter...")
                    .build());
    assertEquals(8, e.usage().promptTokens());
  }

  private static long tokens(String text) {
    return encodings.encodingFor("text-embedding-3-small", null).countTokensOrdinary(text);
  }

  private static double norm(List<Float> v) {
    double sum = 0;
    for (float f : v) {
      sum += (double) f * f;
    }
    return Math.sqrt(sum);
  }

  @Test
  void theSdkGetsOneEmbeddingPerInputInItsDefaultBase64() {
    String a = "The food was delicious and the waiter...";
    String b = "Tollgate counts tokens before they are spent.";
    CreateEmbeddingResponse e =
        client
            .embeddings()
            .create(
                EmbeddingCreateParams.builder()
                    .model("text-embedding-3-small")
                    .inputOfArrayOfStrings(List.of(a, b))
                    .build());
    assertEquals(2, e.data().size());
    for (int i = 0; i < 2; i++) {
      assertEquals(i, e.data().get(i).index());
      assertTrue(
          e.data().get(i).embeddingValue().isBase64(), "the SDK asks for base64 and gets it");
      assertEquals(1536, e.data().get(i).embedding().size());
      assertEquals(1.0, norm(e.data().get(i).embedding()), 1e-4);
    }
    assertNotEquals(e.data().get(0).embedding(), e.data().get(1).embedding());
    assertEquals(tokens(a) + tokens(b), e.usage().promptTokens());
    assertEquals(e.usage().promptTokens(), e.usage().totalTokens());

    CreateEmbeddingResponse floats =
        client
            .embeddings()
            .create(
                EmbeddingCreateParams.builder()
                    .model("text-embedding-3-small")
                    .inputOfArrayOfStrings(List.of(a, b))
                    .encodingFormat(EmbeddingCreateParams.EncodingFormat.FLOAT)
                    .build());
    assertTrue(floats.data().get(0).embeddingValue().isFloats());
    assertEquals(
        e.data().get(1).embedding(),
        floats.data().get(1).embedding(),
        "the same vector in either format");

    CreateEmbeddingResponse shorter =
        client
            .embeddings()
            .create(
                EmbeddingCreateParams.builder()
                    .model("text-embedding-3-small")
                    .input(a)
                    .dimensions(256)
                    .build());
    assertEquals(1, shorter.data().size());
    assertEquals(256, shorter.data().get(0).embedding().size());
    assertEquals(1.0, norm(shorter.data().get(0).embedding()), 1e-4);

    CreateEmbeddingResponse tokenArrays =
        client
            .embeddings()
            .create(
                EmbeddingCreateParams.builder()
                    .model("text-embedding-3-small")
                    .inputOfArrayOfTokenArrays(
                        List.of(List.of(1L, 2L, 3L), List.of(4L, 5L), List.of(6L)))
                    .build());
    assertEquals(List.of(0L, 1L, 2L), tokenArrays.data().stream().map(d -> d.index()).toList());
    assertEquals(6, tokenArrays.usage().promptTokens());
  }

  private static JsonNode post(String body, int status) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(mock.baseUrl() + "/embeddings"))
                .header("authorization", "Bearer " + KEY)
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(status, r.statusCode(), r.body());
    return JSON.readTree(r.body());
  }

  @Test
  void embeddingsOnTheWireAreShapedAsTheApiShapesThem() throws Exception {
    JsonNode plain =
        post("{\"model\":\"text-embedding-3-large\",\"input\":[\"one\",\"two\",\"three\"]}", 200);
    assertEquals("list", plain.get("object").asText());
    assertEquals(3, plain.get("data").size());
    for (int i = 0; i < 3; i++) {
      JsonNode d = plain.get("data").get(i);
      assertEquals("embedding", d.get("object").asText());
      assertEquals(i, d.get("index").asInt());
      assertTrue(d.get("embedding").isArray(), "float unless base64 is asked for");
      assertEquals(3072, d.get("embedding").size());
    }
    assertEquals(
        tokens("one") + tokens("two") + tokens("three"),
        plain.get("usage").get("prompt_tokens").asLong());

    JsonNode b64 =
        post(
            "{\"model\":\"text-embedding-3-large\",\"input\":[\"one\",\"two\",\"three\"],"
                + "\"encoding_format\":\"base64\",\"dimensions\":8}",
            200);
    byte[] bytes = Base64.getDecoder().decode(b64.get("data").get(2).get("embedding").asText());
    assertEquals(8 * Float.BYTES, bytes.length);
    JsonNode eight =
        post("{\"model\":\"text-embedding-3-large\",\"input\":\"three\",\"dimensions\":8}", 200);
    ByteBuffer le = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 8; i++) {
      assertEquals(
          eight.get("data").get(0).get("embedding").get(i).floatValue(),
          le.getFloat(),
          "little-endian float32 " + i);
    }

    JsonNode oneTokenArray =
        post("{\"model\":\"text-embedding-3-small\",\"input\":[11,22,33,44]}", 200);
    assertEquals(1, oneTokenArray.get("data").size(), "a token array is one input");
    assertEquals(4, oneTokenArray.get("usage").get("prompt_tokens").asLong());

    assertEquals(
        "dimensions",
        post("{\"model\":\"text-embedding-ada-002\",\"input\":\"x\",\"dimensions\":8}", 400)
            .get("error")
            .get("param")
            .asText());
    assertEquals(
        "dimensions",
        post("{\"model\":\"text-embedding-3-small\",\"input\":\"x\",\"dimensions\":5000}", 400)
            .get("error")
            .get("param")
            .asText());
    assertEquals(
        "encoding_format",
        post(
                "{\"model\":\"text-embedding-3-small\",\"input\":\"x\",\"encoding_format\":\"hex\"}",
                400)
            .get("error")
            .get("param")
            .asText());
  }

  @Test
  void anyOtherKeyIsRefusedAndRecorded() {
    OpenAIClient wrong =
        OpenAIOkHttpClient.builder()
            .apiKey("sk-tollgate-client-key")
            .baseUrl(mock.baseUrl())
            .maxRetries(0)
            .build();
    try {
      assertThrows(
          UnauthorizedException.class, () -> wrong.chat().completions().create(chat().build()));
    } finally {
      wrong.close();
    }
    assertTrue(mock.leakedKeys().contains("Bearer sk-tollgate-client-key"));
  }

  @Test
  void toldToFailItFails() {
    mock.fail(new MockOpenAi.Failure(500, 0, -1));
    try {
      assertThrows(
          InternalServerException.class, () -> client.chat().completions().create(chat().build()));
    } finally {
      mock.fail(MockOpenAi.Failure.NONE);
    }
    mock.fail(new MockOpenAi.Failure(0, 0, 3));
    try (StreamResponse<ChatCompletionChunk> s =
        client.chat().completions().createStreaming(chat().build())) {
      long n = 0;
      try {
        n = s.stream().count();
      } catch (RuntimeException cut) {
        n = -1; // a cut stream may also surface as an error
      }
      assertTrue(n <= 3, "stream cut after 3 events: " + n);
    } finally {
      mock.fail(MockOpenAi.Failure.NONE);
    }
  }
}
