package dev.tollgate.tokens;

import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The tokenizers Tollgate counts with, and which one a model uses.
 *
 * <p>All jtokkit encodings ({@code o200k_base}, {@code cl100k_base}, {@code p50k_base}, {@code
 * r50k_base}, {@code p50k_edit}) are loaded when this object is built, so the first request does
 * not pay for it (o200k alone takes a few hundred milliseconds). Build one per process and share
 * it; it is immutable and thread-safe.
 *
 * <p>Two tiktoken names are accepted as aliases with identical ordinary-text counts: {@code gpt2}
 * (the same ranks and pattern as {@code r50k_base}) and {@code o200k_harmony} ({@code o200k_base}
 * plus special tokens that never occur in ordinary text).
 *
 * <p>The model table is Tollgate's own copy of tiktoken's {@code model.py} (not jtokkit's {@code
 * ModelType}, which maps gpt-4.1 wrongly and lacks the o-series and gpt-5): an exact name first,
 * then the first matching prefix, else {@value #DEFAULT_ENCODING}.
 */
public final class Encodings {
  /** The encoding for models the table does not know: current OpenAI models use it. */
  public static final String DEFAULT_ENCODING = "o200k_base";

  private static final Map<String, String> MODEL_TO_ENCODING =
      Map.ofEntries(
          Map.entry("o1", "o200k_base"),
          Map.entry("o3", "o200k_base"),
          Map.entry("o4-mini", "o200k_base"),
          Map.entry("gpt-5", "o200k_base"),
          Map.entry("gpt-4.1", "o200k_base"),
          Map.entry("gpt-4o", "o200k_base"),
          Map.entry("gpt-4", "cl100k_base"),
          Map.entry("gpt-3.5-turbo", "cl100k_base"),
          Map.entry("gpt-3.5", "cl100k_base"),
          Map.entry("gpt-35-turbo", "cl100k_base"),
          Map.entry("davinci-002", "cl100k_base"),
          Map.entry("babbage-002", "cl100k_base"),
          Map.entry("text-embedding-ada-002", "cl100k_base"),
          Map.entry("text-embedding-3-small", "cl100k_base"),
          Map.entry("text-embedding-3-large", "cl100k_base"),
          Map.entry("text-davinci-003", "p50k_base"),
          Map.entry("text-davinci-002", "p50k_base"),
          Map.entry("text-davinci-001", "r50k_base"),
          Map.entry("text-curie-001", "r50k_base"),
          Map.entry("text-babbage-001", "r50k_base"),
          Map.entry("text-ada-001", "r50k_base"),
          Map.entry("davinci", "r50k_base"),
          Map.entry("curie", "r50k_base"),
          Map.entry("babbage", "r50k_base"),
          Map.entry("ada", "r50k_base"),
          Map.entry("code-davinci-002", "p50k_base"),
          Map.entry("code-davinci-001", "p50k_base"),
          Map.entry("code-cushman-002", "p50k_base"),
          Map.entry("code-cushman-001", "p50k_base"),
          Map.entry("davinci-codex", "p50k_base"),
          Map.entry("cushman-codex", "p50k_base"),
          Map.entry("text-davinci-edit-001", "p50k_edit"),
          Map.entry("code-davinci-edit-001", "p50k_edit"),
          Map.entry("text-similarity-davinci-001", "r50k_base"),
          Map.entry("text-similarity-curie-001", "r50k_base"),
          Map.entry("text-similarity-babbage-001", "r50k_base"),
          Map.entry("text-similarity-ada-001", "r50k_base"),
          Map.entry("text-search-davinci-doc-001", "r50k_base"),
          Map.entry("text-search-curie-doc-001", "r50k_base"),
          Map.entry("text-search-babbage-doc-001", "r50k_base"),
          Map.entry("text-search-ada-doc-001", "r50k_base"),
          Map.entry("code-search-babbage-code-001", "r50k_base"),
          Map.entry("code-search-ada-code-001", "r50k_base"),
          Map.entry("gpt2", "gpt2"),
          Map.entry("gpt-2", "gpt2"));

  /** Prefix rules in tiktoken's order: the first match wins. */
  private static final List<Map.Entry<String, String>> MODEL_PREFIX_TO_ENCODING =
      List.of(
          Map.entry("o1-", "o200k_base"),
          Map.entry("o3-", "o200k_base"),
          Map.entry("o4-mini-", "o200k_base"),
          Map.entry("gpt-5", "o200k_base"),
          Map.entry("gpt-4.5-", "o200k_base"),
          Map.entry("gpt-4.1-", "o200k_base"),
          Map.entry("chatgpt-4o-", "o200k_base"),
          Map.entry("gpt-4o-", "o200k_base"),
          Map.entry("gpt-4-", "cl100k_base"),
          Map.entry("gpt-3.5-turbo-", "cl100k_base"),
          Map.entry("gpt-35-turbo-", "cl100k_base"),
          Map.entry("gpt-oss-", "o200k_harmony"),
          Map.entry("ft:gpt-4o", "o200k_base"),
          Map.entry("ft:gpt-4", "cl100k_base"),
          Map.entry("ft:gpt-3.5-turbo", "cl100k_base"),
          Map.entry("ft:davinci-002", "cl100k_base"),
          Map.entry("ft:babbage-002", "cl100k_base"));

  /** Tiktoken names that count ordinary text exactly like a jtokkit encoding. */
  private static final Map<String, String> ALIASES =
      Map.of("gpt2", "r50k_base", "o200k_harmony", "o200k_base");

  private static final SortedSet<String> NAMES;

  static {
    SortedSet<String> names = new TreeSet<>(ALIASES.keySet());
    for (EncodingType type : EncodingType.values()) {
      names.add(type.getName());
    }
    NAMES = Collections.unmodifiableSortedSet(names);
  }

  private final Map<String, CountingEncoding> byName;

  /**
   * Every encoding, loaded the first time one is asked for in this process (about a second of CPU
   * and some 100 MB of tables) and shared by every instance after that: the tables never change,
   * and the counters are safe to share between threads.
   */
  public Encodings() {
    this(true);
  }

  /**
   * @param fastO200k count {@code o200k_base} with Tollgate's own splitter and merge loop (same
   *     counts as jtokkit, several times faster), and text with long runs in the other encodings
   *     with Tollgate's linear merge; false uses jtokkit alone (the reference in tests)
   */
  Encodings(boolean fastO200k) {
    this.byName = fastO200k ? Fast.BY_NAME : Reference.BY_NAME;
  }

  /** The encodings with Tollgate's counters, built when first used. */
  private static final class Fast {
    static final Map<String, CountingEncoding> BY_NAME = load(true);
  }

  /** The encodings with jtokkit's counters alone, built when first used. */
  private static final class Reference {
    static final Map<String, CountingEncoding> BY_NAME = load(false);
  }

  private static Map<String, CountingEncoding> load(boolean fastO200k) {
    EncodingRegistry registry = com.knuddels.jtokkit.Encodings.newDefaultEncodingRegistry();
    Map<String, CountingEncoding> map = new LinkedHashMap<>();
    for (EncodingType type : EncodingType.values()) {
      Encoding jtokkit = registry.getEncoding(type);
      O200kCounter fast =
          fastO200k && type == EncodingType.O200K_BASE ? new O200kCounter(jtokkit) : null;
      PatternCounter longText = fastO200k ? PatternCounter.forEncoding(jtokkit) : null;
      map.put(type.getName(), new CountingEncoding(type.getName(), jtokkit, fast, longText));
    }
    for (Map.Entry<String, String> alias : ALIASES.entrySet()) {
      map.put(alias.getKey(), map.get(alias.getValue()).withName(alias.getKey()));
    }
    return Map.copyOf(map);
  }

  /**
   * The encoding to count a model's text with.
   *
   * @param model the request's {@code model}; null or unknown gives {@value #DEFAULT_ENCODING}
   * @param configuredEncodingOrNull the operator's choice for this model, which wins when set
   * @throws IllegalArgumentException if the configured name is not a known encoding
   */
  public Encoding encodingFor(String model, String configuredEncodingOrNull) {
    String name = configuredEncodingOrNull != null ? configuredEncodingOrNull : nameFor(model);
    return encoding(name);
  }

  /**
   * An encoding by name ({@code o200k_base}, {@code cl100k_base}, ...).
   *
   * @throws IllegalArgumentException naming the encoding if it is not known
   */
  public Encoding encoding(String name) {
    CountingEncoding e = name == null ? null : byName.get(name);
    if (e == null) {
      throw new IllegalArgumentException(
          "unknown encoding '" + name + "' (expected one of: " + String.join(", ", NAMES) + ")");
    }
    return e;
  }

  /** The same as {@link #encodingFor} with Tollgate's own counting methods. */
  CountingEncoding counting(String model, String configuredEncodingOrNull) {
    return (CountingEncoding) encodingFor(model, configuredEncodingOrNull);
  }

  /**
   * The tiktoken encoding name for a model by Tollgate's table: exact name, then the first matching
   * prefix, else {@value #DEFAULT_ENCODING}.
   */
  public static String nameFor(String model) {
    if (model == null) {
      return DEFAULT_ENCODING;
    }
    String exact = MODEL_TO_ENCODING.get(model);
    if (exact != null) {
      return exact;
    }
    for (Map.Entry<String, String> rule : MODEL_PREFIX_TO_ENCODING) {
      if (model.startsWith(rule.getKey())) {
        return rule.getValue();
      }
    }
    return DEFAULT_ENCODING;
  }

  /** Whether a name may be configured as a model's encoding (for config validation). */
  public static boolean isKnownEncodingName(String name) {
    return name != null && NAMES.contains(name);
  }

  /** Every name {@link #isKnownEncodingName} accepts, sorted. */
  public static Set<String> knownEncodingNames() {
    return NAMES;
  }
}
