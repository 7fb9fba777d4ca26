package dev.tollgate.tokens;

/**
 * What admission needs to know about a request body.
 *
 * @param api the API
 * @param model the {@code model} field
 * @param promptTokens input tokens counted as OpenAI counts them
 * @param maxOutputTokens {@code max_completion_tokens} / {@code max_tokens} / {@code
 *     max_output_tokens}, or -1 when the request sets none
 * @param n choices requested ({@code n}, 1 when absent)
 * @param stream {@code stream: true}
 * @param includeUsage {@code stream_options.include_usage: true}
 * @param bodyFields values of the top-level string fields the caller asked for (identity sources
 *     such as {@code body:user}); absent or non-string fields are missing
 * @param partial the body was cut short by Envoy; counts are from what arrived
 */
public record ParsedRequest(
    ApiKind api,
    String model,
    int promptTokens,
    long maxOutputTokens,
    int n,
    boolean stream,
    boolean includeUsage,
    java.util.Map<String, String> bodyFields,
    boolean partial) {
  public ParsedRequest {
    bodyFields = java.util.Map.copyOf(bodyFields);
  }
}
