package dev.tollgate.response;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import java.util.Random;

/** Large but legitimate answers: embeddings of many MiB, as floats or as one base64 string. */
public final class LargeAnswers {
  private LargeAnswers() {}

  /**
   * An embeddings answer of about {@code bytes} bytes with usage {@code prompt_tokens: 8}: one
   * base64 string ({@code encoding_format: base64}) or arrays of floats.
   */
  public static byte[] embeddings(int bytes, boolean base64) {
    Random r = new Random(bytes);
    ByteArrayOutputStream out = new ByteArrayOutputStream(bytes + 1024);
    write(out, "{\n  \"object\": \"list\",\n  \"data\": [\n");
    if (base64) {
      byte[] raw = new byte[bytes / 4 * 3];
      r.nextBytes(raw);
      write(out, "    {\"object\": \"embedding\", \"index\": 0, \"embedding\": \"");
      write(out, Base64.getEncoder().encodeToString(raw));
      write(out, "\"}\n");
    } else {
      int index = 0;
      while (out.size() < bytes) {
        StringBuilder s = new StringBuilder(index == 0 ? "" : ",\n");
        s.append("    {\"object\": \"embedding\", \"index\": ")
            .append(index++)
            .append(", \"embedding\": [");
        for (int i = 0; i < 3072; i++) {
          s.append(i == 0 ? "" : ", ")
              .append(String.format(Locale.ROOT, "%.9f", r.nextGaussian() / 30));
        }
        write(out, s.append("]}").toString());
      }
      write(out, "\n");
    }
    write(
        out,
        "  ],\n  \"model\": \"text-embedding-3-large\",\n"
            + "  \"usage\": {\"prompt_tokens\": 8, \"total_tokens\": 8}\n}\n");
    return out.toByteArray();
  }

  private static void write(ByteArrayOutputStream out, String s) {
    out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
  }
}
