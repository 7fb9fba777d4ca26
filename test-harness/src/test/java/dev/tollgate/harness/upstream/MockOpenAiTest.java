package dev.tollgate.harness.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The mock upstream speaks the OpenAI API as the official Java SDK expects it. */
class MockOpenAiTest {
  private static final String KEY = "sk-upstream-mock";
  private static MockOpenAi mock;
  private static OpenAIClient client;

  @BeforeAll
  static void start() throws Exception {
    mock = MockOpenAi.start(0, KEY, new Encodings());
    client = OpenAIOkHttpClient.builder().apiKey(KEY).baseUrl(mock.baseUrl()).maxRetries(0).build();
  }

  @AfterAll
  static void stop() {
    client.close();
    mock.close();
  }

  private static ChatCompletionCreateParams.Builder chat() {
    return ChatCompletionCreateParams.builder().model("gpt-4o-mini").addUserMessage("What's the weather like in SF?");
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
    try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(chat()
        .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
      s.stream().forEach(chunk -> {
        chunk.choices().forEach(ch -> ch.delta().content().ifPresent(text::add));
        chunk.usage().ifPresent(u -> reported[0] = u.completionTokens());
      });
    }
    assertTrue(text.size() > 5);
    assertEquals(mock.served().get(mock.served().size() - 1).completionTokens(), reported[0]);
    try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(chat().build())) {
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
    Response r = client.responses().create(ResponseCreateParams.builder().model("gpt-4o-mini")
        .input("What's the weather like in SF?").build());
    assertEquals(14, r.usage().orElseThrow().inputTokens());
    assertTrue(r.usage().orElseThrow().outputTokens() > 5);
    CreateEmbeddingResponse e = client.embeddings().create(EmbeddingCreateParams.builder()
        .model("text-embedding-3-small").input("The food was delicious and the waiter...").build());
    assertEquals(8, e.usage().promptTokens());
  }

  @Test
  void anyOtherKeyIsRefusedAndRecorded() {
    OpenAIClient wrong = OpenAIOkHttpClient.builder().apiKey("sk-tollgate-client-key").baseUrl(mock.baseUrl())
        .maxRetries(0).build();
    try {
      assertThrows(UnauthorizedException.class, () -> wrong.chat().completions().create(chat().build()));
    } finally {
      wrong.close();
    }
    assertTrue(mock.leakedKeys().contains("Bearer sk-tollgate-client-key"));
  }

  @Test
  void toldToFailItFails() {
    mock.fail(new MockOpenAi.Failure(500, 0, -1));
    try {
      assertThrows(InternalServerException.class, () -> client.chat().completions().create(chat().build()));
    } finally {
      mock.fail(MockOpenAi.Failure.NONE);
    }
    mock.fail(new MockOpenAi.Failure(0, 0, 3));
    try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(chat().build())) {
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
