package dev.tollgate.tokens;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * Reads an OpenAI request body once (Jackson streaming, no tree) and counts its prompt tokens as
 * OpenAI does, with the encoding of its {@code model}. Thread-safe; share one instance.
 *
 * <h2>What is counted</h2>
 *
 * Text is always counted as ordinary text: special-token strings such as {@code <|endoftext|>} in
 * user content are plain characters to the API, as they are here.
 *
 * <ul>
 *   <li><b>chat.completions</b> — the OpenAI cookbook's {@code num_tokens_from_messages}: 3 tokens
 *       per message, every string value of a message (role, content, name, tool_call_id, ...)
 *       encoded, +1 per {@code name}, +3 to prime the reply ({@code gpt-3.5-turbo-0301}: 4 per
 *       message, -1 per name). Content may also be an array of parts: {@code text} and {@code
 *       refusal} are text; media parts are estimated (see below). Nested values such as {@code
 *       tool_calls} count every string value except ids, {@code type}, {@code status} and inline
 *       data. {@code tools} and legacy {@code functions} follow the cookbook's tools formula with
 *       its constants (function start 7 for o200k-family encodings, 10 for others; property start
 *       3, property 3, enum start -3, enum item 3, end 12); schema parts the cookbook does not
 *       model (nested {@code properties}, {@code items}, other keywords) are added with the same
 *       property constants or as plain strings. {@code response_format} JSON schemas count their
 *       names, descriptions, field names and string values as text (an estimate).
 *   <li><b>responses</b> — the same rules: {@code instructions} is one message with role {@code
 *       system}; a string {@code input} is one {@code user} message; each input item (message,
 *       function_call, function_call_output, reasoning, ...) costs 3 plus its strings ({@code
 *       role}, content text, {@code name}, {@code arguments}, {@code output}, summaries; not ids,
 *       {@code type}, {@code status} or {@code encrypted_content}); +3 reply priming. Function
 *       tools use the chat formula; other tools count their strings. Context carried by {@code
 *       previous_response_id} or {@code conversation} is unknown here and not counted.
 *   <li><b>completions</b> — {@code prompt} (and {@code suffix}): a string, strings, a token array
 *       or token arrays (an array counts its length).
 *   <li><b>embeddings</b> — {@code input}: the same four shapes.
 * </ul>
 *
 * <p>Media estimates (real usage settles the difference): an image part is 85 tokens at {@code
 * detail: low}, else 765 (a 1024×1024 image at high detail: 85 + 4 tiles × 170); an audio part is
 * one token per 1600 decoded bytes (mp3 at 128 kbit/s ≈ 10 audio tokens per second; 4800 for {@code
 * wav}, 24 kHz 16-bit mono); a file part is one token per 32 decoded bytes of {@code file_data}, or
 * 1000 when only a file id or URL is given. The constants are in {@code Cookbook}.
 *
 * <h2>Other fields</h2>
 *
 * {@code maxOutputTokens}: chat {@code max_completion_tokens}, else {@code max_tokens}; responses
 * {@code max_output_tokens}; completions {@code max_tokens}; -1 when absent; 0 for embeddings.
 * {@code n}: 1..128 (chat, completions), 1 otherwise; for completions it is {@code max(n, best_of)}
 * times the number of prompts, the number of completions billed. {@code includeUsage}: {@code
 * stream_options.include_usage}; for responses it equals {@code stream} (the Responses API always
 * reports usage in {@code response.completed}).
 *
 * <h2>Errors</h2>
 *
 * Every problem with the body is an {@link InvalidRequestException} naming the parameter as OpenAI
 * does ({@code model}, {@code messages[2].content}, {@code max_tokens}); malformed JSON has no
 * parameter. Duplicate keys are rejected (a second {@code model} could otherwise pass the allowlist
 * with the first). Nesting deeper than {@value #MAX_NESTING_DEPTH} is rejected.
 *
 * <h2>Partial bodies</h2>
 *
 * When Envoy cut the body at its size limit ({@code partial}), the JSON ends anywhere: nothing that
 * arrived is an error because it is cut. Counted: every string seen in the counted fields (the cut
 * string up to the cut), the overhead of every message or item whose start was seen, the reply
 * priming. A number running into the cut is ignored (it may be missing digits); {@code model} is
 * null unless its whole value arrived (the caller decides), and then texts are counted with {@value
 * Encodings#DEFAULT_ENCODING}. A body that does not start as a JSON object is still an error.
 * Fields after the cut are unknown: a duplicate {@code model} there cannot be detected, which is
 * why admission refuses partial bodies unless configured otherwise ({@code request.partial_body}).
 *
 * <h2>Cost</h2>
 *
 * Linear in the body's length (the byte-pair merge of a long piece: n log n) and bounded in memory,
 * whatever the text: see {@link MergeableRanks}. A text of {@value TokenCountCache#MIN_CHARS}
 * characters or more that was counted before (a chat history re-sent on the next turn) costs a hash
 * and a lookup in the {@link TokenCountCache}, with the same result.
 */
public final class PromptCounter {
  /** Deepest nesting of arrays and objects accepted. */
  public static final int MAX_NESTING_DEPTH = 256;

  private final Encodings encodings;
  private final JsonFactory json;
  private final TokenCountCache cache;

  /**
   * A counter with a {@link TokenCountCache} of {@link TokenCountCache#DEFAULT_MAX_ENTRIES} texts.
   *
   * @param encodings the loaded encodings
   */
  public PromptCounter(Encodings encodings) {
    this(encodings, new TokenCountCache(TokenCountCache.DEFAULT_MAX_ENTRIES));
  }

  /**
   * @param encodings the loaded encodings
   * @param cache counts of long texts already seen ({@link TokenCountCache#disabled()}: none)
   */
  public PromptCounter(Encodings encodings, TokenCountCache cache) {
    this.encodings = Objects.requireNonNull(encodings, "encodings");
    this.cache = Objects.requireNonNull(cache, "cache");
    this.json =
        JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(
                StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING_DEPTH).build())
            .build();
  }

  /** The cache of counted texts (its hit and miss counts are exported as metrics). */
  public TokenCountCache cache() {
    return cache;
  }

  /**
   * Parses and counts a request body.
   *
   * @param api which API the path named
   * @param body the body bytes (UTF-8 JSON), not modified
   * @param partial true when Envoy cut the body at its byte limit
   * @param bodyFields top-level fields whose string values to return (may be empty)
   * @param configuredEncodingForModel the configured encoding name for a model, or null for
   *     Tollgate's table (the function may itself be null)
   * @return what admission needs
   * @throws InvalidRequestException if the body is not a valid request for the API
   * @throws IllegalArgumentException if the configured encoding name is unknown (a config bug)
   */
  public ParsedRequest parse(
      ApiKind api,
      byte[] body,
      boolean partial,
      Set<String> bodyFields,
      Function<String, String> configuredEncodingForModel) {
    Objects.requireNonNull(api, "api");
    Objects.requireNonNull(body, "body");
    return MergeableRanks.withLongPieceBudget(
        MergeableRanks.LONG_PIECE_BUDGET_BYTES,
        () ->
            new RequestParse(
                    json,
                    encodings,
                    api,
                    body,
                    partial,
                    bodyFields == null ? Set.of() : bodyFields,
                    configuredEncodingForModel,
                    cache)
                .run());
  }
}
