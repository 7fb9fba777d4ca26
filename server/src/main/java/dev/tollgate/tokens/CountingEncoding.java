package dev.tollgate.tokens;

import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingResult;
import com.knuddels.jtokkit.api.IntArrayList;

/**
 * A jtokkit encoding under a tiktoken name, with an optional faster ordinary-text counter and a
 * counting method over a slice of a char array (Jackson's text buffer, without a copy).
 */
final class CountingEncoding implements Encoding {
  private final String name;
  private final Encoding jtokkit;
  private final O200kCounter fast;

  CountingEncoding(String name, Encoding jtokkit, O200kCounter fast) {
    this.name = name;
    this.jtokkit = jtokkit;
    this.fast = fast;
  }

  CountingEncoding withName(String alias) {
    return new CountingEncoding(alias, jtokkit, fast);
  }

  /** The jtokkit encoding this counts like ({@code o200k_base} for {@code o200k_harmony}). */
  String baseName() {
    return jtokkit.getName();
  }

  /** Tokens of {@code chars[offset, offset + length)} as ordinary text (special tokens as text). */
  int countOrdinary(char[] chars, int offset, int length) {
    if (length == 0) {
      return 0;
    }
    if (fast != null) {
      return fast.count(chars, offset, offset + length);
    }
    return jtokkit.countTokensOrdinary(new String(chars, offset, length));
  }

  @Override
  public int countTokensOrdinary(String text) {
    if (fast != null) {
      char[] chars = text.toCharArray();
      return fast.count(chars, 0, chars.length);
    }
    return jtokkit.countTokensOrdinary(text);
  }

  @Override
  public IntArrayList encode(String text) {
    return jtokkit.encode(text);
  }

  @Override
  public EncodingResult encode(String text, int maxTokens) {
    return jtokkit.encode(text, maxTokens);
  }

  @Override
  public IntArrayList encodeOrdinary(String text) {
    return jtokkit.encodeOrdinary(text);
  }

  @Override
  public EncodingResult encodeOrdinary(String text, int maxTokens) {
    return jtokkit.encodeOrdinary(text, maxTokens);
  }

  @Override
  public int countTokens(String text) {
    return jtokkit.countTokens(text);
  }

  @Override
  public String decode(IntArrayList tokens) {
    return jtokkit.decode(tokens);
  }

  @Override
  public byte[] decodeBytes(IntArrayList tokens) {
    return jtokkit.decodeBytes(tokens);
  }

  @Override
  public String getName() {
    return name;
  }

  @Override
  public String toString() {
    return name;
  }
}
