package dev.tollgate.tokens;

import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The tokenizer encodings, loaded eagerly (o200k_base takes a few hundred milliseconds to load:
 * at start-up, not on the first request), and Tollgate's own model → encoding table, which
 * follows tiktoken's {@code model.py} (jtokkit's ModelType stops at gpt-4o and maps gpt-4.1
 * wrongly). Unknown models use o200k_base, the encoding of every current OpenAI model.
 */
public final class Encodings {
  private static final Map<String, EncodingType> EXACT = new LinkedHashMap<>();
  private static final Map<String, EncodingType> PREFIX = new LinkedHashMap<>();
  private static final Map<String, EncodingType> BY_NAME = new LinkedHashMap<>();

  static {
    EncodingType o200k = EncodingType.O200K_BASE;
    EncodingType cl100k = EncodingType.CL100K_BASE;
    EncodingType p50k = EncodingType.P50K_BASE;
    EncodingType r50k = EncodingType.R50K_BASE;
    EncodingType p50kEdit = EncodingType.P50K_EDIT;
    for (String m : new String[] {"o1", "o3", "o4-mini", "gpt-5", "gpt-4.1", "gpt-4o"}) {
      EXACT.put(m, o200k);
    }
    for (String m : new String[] {"gpt-4", "gpt-3.5-turbo", "gpt-3.5", "gpt-35-turbo", "davinci-002",
        "babbage-002", "text-embedding-ada-002", "text-embedding-3-small", "text-embedding-3-large"}) {
      EXACT.put(m, cl100k);
    }
    for (String m : new String[] {"text-davinci-003", "text-davinci-002", "code-davinci-002", "code-davinci-001",
        "code-cushman-002", "code-cushman-001", "davinci-codex", "cushman-codex"}) {
      EXACT.put(m, p50k);
    }
    for (String m : new String[] {"text-davinci-001", "text-curie-001", "text-babbage-001", "text-ada-001",
        "davinci", "curie", "babbage", "ada", "text-similarity-davinci-001", "text-similarity-curie-001",
        "text-similarity-babbage-001", "text-similarity-ada-001", "text-search-davinci-doc-001",
        "text-search-curie-doc-001", "text-search-babbage-doc-001", "text-search-ada-doc-001",
        "code-search-babbage-code-001", "code-search-ada-code-001", "gpt2", "gpt-2"}) {
      EXACT.put(m, r50k); // gpt2 shares r50k_base's ranks
    }
    EXACT.put("text-davinci-edit-001", p50kEdit);
    EXACT.put("code-davinci-edit-001", p50kEdit);
    for (String p : new String[] {"o1-", "o3-", "o4-mini-", "gpt-5", "gpt-4.5-", "gpt-4.1-", "chatgpt-4o-",
        "gpt-4o-"}) {
      PREFIX.put(p, o200k);
    }
    PREFIX.put("gpt-4-", cl100k);
    PREFIX.put("gpt-3.5-turbo-", cl100k);
    PREFIX.put("gpt-35-turbo-", cl100k);
    PREFIX.put("gpt-oss-", o200k); // o200k_harmony: o200k's ranks plus special tokens
    PREFIX.put("ft:gpt-4o", o200k);
    PREFIX.put("ft:gpt-4", cl100k);
    PREFIX.put("ft:gpt-3.5-turbo", cl100k);
    PREFIX.put("ft:davinci-002", cl100k);
    PREFIX.put("ft:babbage-002", cl100k);
    BY_NAME.put("o200k_base", o200k);
    BY_NAME.put("o200k_harmony", o200k);
    BY_NAME.put("cl100k_base", cl100k);
    BY_NAME.put("p50k_base", p50k);
    BY_NAME.put("p50k_edit", p50kEdit);
    BY_NAME.put("r50k_base", r50k);
    BY_NAME.put("gpt2", r50k);
  }

  private final EnumMap<EncodingType, Encoding> loaded = new EnumMap<>(EncodingType.class);

  /** Loads every encoding now. */
  public Encodings() {
    EncodingRegistry registry = com.knuddels.jtokkit.Encodings.newDefaultEncodingRegistry();
    for (EncodingType t : EncodingType.values()) {
      loaded.put(t, registry.getEncoding(t));
    }
  }

  /** True for an encoding name Tollgate knows ({@code o200k_base}, {@code cl100k_base}, ...). */
  public static boolean isKnownEncodingName(String name) {
    return BY_NAME.containsKey(name);
  }

  /** The encoding names Tollgate knows. */
  public static java.util.Set<String> knownEncodingNames() {
    return java.util.Collections.unmodifiableSet(BY_NAME.keySet());
  }

  /** The encoding name for a model by tiktoken's rules (exact name, then prefix), else o200k_base. */
  public static String encodingNameFor(String model) {
    EncodingType t = typeFor(model);
    return t.getName();
  }

  private static EncodingType typeFor(String model) {
    if (model != null) {
      EncodingType t = EXACT.get(model);
      if (t != null) {
        return t;
      }
      for (Map.Entry<String, EncodingType> e : PREFIX.entrySet()) {
        if (model.startsWith(e.getKey())) {
          return e.getValue();
        }
      }
    }
    return EncodingType.O200K_BASE;
  }

  /**
   * The encoding for {@code model}: the configured one when given, else the table's.
   *
   * @throws IllegalArgumentException for an unknown configured name
   */
  public Encoding encodingFor(String model, String configuredEncodingOrNull) {
    if (configuredEncodingOrNull != null) {
      EncodingType t = BY_NAME.get(configuredEncodingOrNull);
      if (t == null) {
        throw new IllegalArgumentException("encoding: '" + configuredEncodingOrNull + "' (expected: one of "
            + BY_NAME.keySet() + ")");
      }
      return loaded.get(t);
    }
    return loaded.get(typeFor(model));
  }

  /** An encoding by jtokkit type. */
  public Encoding get(EncodingType type) {
    return loaded.get(type);
  }
}
