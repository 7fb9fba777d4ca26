package dev.tollgate.tokens;

/**
 * The counting constants in one place: the OpenAI cookbook's {@code num_tokens_from_messages} and
 * tools formula, and Tollgate's estimates for media parts (real usage settles the difference). What
 * they apply to is described on {@link PromptCounter}.
 */
final class Cookbook {
  /** Tokens per message (chat, and each Responses input item). */
  static final int TOKENS_PER_MESSAGE = 3;

  /** Tokens per chat message for {@code gpt-3.5-turbo-0301}. */
  static final int TOKENS_PER_MESSAGE_0301 = 4;

  /** Tokens per {@code name} of a chat message. */
  static final int TOKENS_PER_NAME = 1;

  /** Tokens per {@code name} of a chat message for {@code gpt-3.5-turbo-0301}. */
  static final int TOKENS_PER_NAME_0301 = -1;

  /** Tokens that prime the reply. */
  static final int REPLY_PRIMING = 3;

  /** Tokens per function for o200k-family encodings. */
  static final int FUNCTION_START_O200K = 7;

  /** Tokens per function for other encodings. */
  static final int FUNCTION_START = 10;

  static final int PROPERTY_START = 3;
  static final int PROPERTY = 3;
  static final int ENUM_START = -3;
  static final int ENUM_ITEM = 3;

  /** Tokens added once when there are functions. */
  static final int FUNCTIONS_END = 12;

  /** An image part at {@code detail: low}. */
  static final int IMAGE_LOW_DETAIL_TOKENS = 85;

  /** An image part at other details: a 1024×1024 image at high detail, 85 + 4 tiles × 170. */
  static final int IMAGE_TOKENS = 765;

  /** Audio: mp3 at 128 kbit/s ≈ 10 audio tokens per second. */
  static final int AUDIO_BYTES_PER_TOKEN = 1600;

  /** Audio in {@code wav}: 24 kHz 16-bit mono. */
  static final int WAV_BYTES_PER_TOKEN = 4800;

  /** A file part, per decoded byte of {@code file_data}. */
  static final int FILE_BYTES_PER_TOKEN = 32;

  /** A file part given only by a file id or URL. */
  static final int FILE_REFERENCE_TOKENS = 1000;

  private Cookbook() {}

  /** Message overhead of a chat request: per message, per name, reply priming. */
  static long chatOverhead(String model, long messages, long names) {
    boolean legacy0301 = "gpt-3.5-turbo-0301".equals(model);
    return messages * (legacy0301 ? TOKENS_PER_MESSAGE_0301 : TOKENS_PER_MESSAGE)
        + names * (legacy0301 ? TOKENS_PER_NAME_0301 : TOKENS_PER_NAME)
        + REPLY_PRIMING;
  }

  /** Message overhead of a Responses request: per input item, reply priming. */
  static long responsesOverhead(long messages) {
    return messages * TOKENS_PER_MESSAGE + REPLY_PRIMING;
  }

  /** The tools formula; 0 when there are no functions. */
  static long toolTokens(
      CountingEncoding encoding,
      long functions,
      long propertyStarts,
      long properties,
      long enumStarts,
      long enumItems) {
    if (functions == 0) {
      return 0;
    }
    long functionStart =
        encoding.baseName().equals("o200k_base") ? FUNCTION_START_O200K : FUNCTION_START;
    return functions * functionStart
        + propertyStarts * PROPERTY_START
        + properties * PROPERTY
        + enumStarts * ENUM_START
        + enumItems * ENUM_ITEM
        + FUNCTIONS_END;
  }

  /** Tokens of an audio part with {@code dataChars} base64 characters. */
  static long audioTokens(String format, long dataChars) {
    int perToken = "wav".equals(format) ? WAV_BYTES_PER_TOKEN : AUDIO_BYTES_PER_TOKEN;
    return ceilDiv(Math.max(0, dataChars) * 3 / 4, perToken);
  }

  /** Tokens of a file part: from its base64 data, else a reference's estimate, else 0. */
  static long fileTokens(long dataChars, boolean reference) {
    return dataChars >= 0
        ? ceilDiv(dataChars * 3 / 4, FILE_BYTES_PER_TOKEN)
        : reference ? FILE_REFERENCE_TOKENS : 0;
  }

  /** Tokens of an image part. */
  static long imageTokens(String detail) {
    return "low".equals(detail) ? IMAGE_LOW_DETAIL_TOKENS : IMAGE_TOKENS;
  }

  private static int ceilDiv(long a, int b) {
    return (int) Math.min(Integer.MAX_VALUE, (a + b - 1) / b);
  }
}
