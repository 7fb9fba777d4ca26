package dev.tollgate.tokens;

/** The OpenAI APIs Tollgate counts, by request path. */
public enum ApiKind {
  CHAT_COMPLETIONS("/v1/chat/completions", "chat.completions"),
  RESPONSES("/v1/responses", "responses"),
  COMPLETIONS("/v1/completions", "completions"),
  EMBEDDINGS("/v1/embeddings", "embeddings");

  private final String path;
  private final String metadataName;

  ApiKind(String path, String metadataName) {
    this.path = path;
    this.metadataName = metadataName;
  }

  /** The request path, without query. */
  public String path() {
    return path;
  }

  /** The name used in metadata and logs ({@code chat.completions}, ...). */
  public String metadataName() {
    return metadataName;
  }

  /** The API for a name from {@link #metadataName()}, or null. */
  public static ApiKind fromMetadataName(String name) {
    for (ApiKind k : values()) {
      if (k.metadataName.equals(name)) {
        return k;
      }
    }
    return null;
  }

  /** The API for a request path (query string ignored), or null when the path is not one. */
  public static ApiKind fromPath(String pathWithQuery) {
    if (pathWithQuery == null) {
      return null;
    }
    int q = pathWithQuery.indexOf('?');
    int h = pathWithQuery.indexOf('#');
    int end = pathWithQuery.length();
    if (q >= 0) {
      end = q;
    }
    if (h >= 0 && h < end) {
      end = h;
    }
    String p = pathWithQuery.substring(0, end);
    if (p.length() > 1 && p.endsWith("/")) {
      p = p.substring(0, p.length() - 1);
    }
    for (ApiKind k : values()) {
      if (k.path.equals(p)) {
        return k;
      }
    }
    return null;
  }
}
