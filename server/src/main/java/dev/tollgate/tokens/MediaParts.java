package dev.tollgate.tokens;

import static com.fasterxml.jackson.core.JsonToken.END_ARRAY;
import static com.fasterxml.jackson.core.JsonToken.FIELD_NAME;
import static com.fasterxml.jackson.core.JsonToken.START_ARRAY;
import static com.fasterxml.jackson.core.JsonToken.START_OBJECT;
import static com.fasterxml.jackson.core.JsonToken.VALUE_NULL;
import static com.fasterxml.jackson.core.JsonToken.VALUE_STRING;

import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/**
 * Message content: a string, or an array of parts whose text is counted and whose media (image,
 * audio, file) is estimated with the {@link Cookbook}'s constants. Not thread-safe.
 */
final class MediaParts {
  private final JsonCursor in;
  private long estimated;

  MediaParts(JsonCursor in) {
    this.in = in;
  }

  /** The media estimate so far. */
  long tokens() {
    return estimated;
  }

  /** A string, null, or an array of content parts. */
  void content(JsonToken v) throws IOException {
    if (v == VALUE_STRING) {
      in.text();
    } else if (v == START_ARRAY) {
      JsonToken t;
      while ((t = in.next()) != END_ARRAY) {
        if (t == VALUE_STRING) {
          in.text();
        } else if (t == START_OBJECT) {
          part();
        } else {
          throw in.type("an object", t);
        }
      }
    } else if (v != VALUE_NULL) {
      throw in.type("a string or an array", v);
    }
  }

  /** One content part: text is counted, media estimated (see {@link PromptCounter}). */
  private void part() throws IOException {
    String type = null;
    String detail = null;
    String format = null;
    long dataChars = -1;
    boolean image = false;
    boolean audio = false;
    boolean file = false;
    boolean fileReference = false;
    try {
      while (in.next() == FIELD_NAME) {
        String key = in.name();
        JsonToken v = in.next();
        switch (key) {
          case "type":
            type = in.optionalString(v);
            break;
          case "text":
          case "refusal":
            in.optionalText(v);
            break;
          case "image_url": // chat: {url, detail}; responses: a URL string
            image = true;
            if (v == START_OBJECT) {
              while (in.next() == FIELD_NAME) {
                JsonToken w = in.next();
                if (in.name().equals("detail")) {
                  detail = in.optionalString(w);
                } else {
                  in.skip(w);
                }
              }
            } else {
              in.skip(v);
            }
            break;
          case "detail":
            detail = in.optionalString(v);
            break;
          case "input_audio":
            audio = true;
            if (v == START_OBJECT) {
              while (in.next() == FIELD_NAME) {
                String k = in.name();
                JsonToken w = in.next();
                if (k.equals("data")) {
                  dataChars = in.stringLength(w);
                } else if (k.equals("format")) {
                  format = in.optionalString(w);
                } else {
                  in.skip(w);
                }
              }
            } else {
              in.skip(v);
            }
            break;
          case "file":
            file = true;
            if (v == START_OBJECT) {
              while (in.next() == FIELD_NAME) {
                String k = in.name();
                JsonToken w = in.next();
                if (k.equals("file_data")) {
                  dataChars = in.stringLength(w);
                } else if (k.equals("file_id") || k.equals("file_url")) {
                  fileReference = true;
                  in.skip(w);
                } else {
                  in.skip(w);
                }
              }
            } else {
              in.skip(v);
            }
            break;
          case "file_data":
            file = true;
            dataChars = in.stringLength(v);
            break;
          case "file_id":
          case "file_url":
            fileReference = true;
            in.skip(v);
            break;
          default:
            in.skip(v);
        }
      }
    } finally {
      if (dataChars < 0) {
        dataChars = in.cutDataChars();
      }
      if (type != null) {
        image |= type.equals("image_url") || type.equals("input_image");
        audio |= type.equals("input_audio");
        file |= type.equals("file") || type.equals("input_file");
      }
      if (image) {
        estimated += Cookbook.imageTokens(detail);
      } else if (audio) {
        estimated += Cookbook.audioTokens(format, dataChars);
      } else if (file) {
        estimated += Cookbook.fileTokens(dataChars, fileReference);
      }
    }
  }
}
