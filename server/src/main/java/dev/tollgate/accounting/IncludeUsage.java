package dev.tollgate.accounting;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tollgate.tokens.ApiKind;
import java.io.IOException;

/**
 * {@code accounting.add_include_usage}: a streaming chat or completions request that does not ask
 * for {@code stream_options.include_usage} gets it, so that the provider reports usage.
 */
public final class IncludeUsage {
  private static final ObjectMapper JSON = new ObjectMapper();

  private IncludeUsage() {}

  /** Whether the API's streams report usage only when asked to. */
  public static boolean appliesTo(ApiKind api) {
    return api == ApiKind.CHAT_COMPLETIONS || api == ApiKind.COMPLETIONS;
  }

  /**
   * The body with {@code stream_options.include_usage: true} when it streams without it; else null.
   */
  public static byte[] withIncludeUsage(byte[] body) {
    try {
      JsonNode root = JSON.readTree(body);
      if (root == null || !root.isObject() || !root.path("stream").asBoolean(false)) {
        return null;
      }
      JsonNode so = root.get("stream_options");
      if (so != null && so.isObject() && so.path("include_usage").asBoolean(false)) {
        return null;
      }
      ObjectNode o = (ObjectNode) root;
      ObjectNode opts =
          so != null && so.isObject() ? (ObjectNode) so : o.putObject("stream_options");
      opts.put("include_usage", true);
      return JSON.writeValueAsBytes(o);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
