package dev.tollgate.tokens;

import static com.fasterxml.jackson.core.JsonToken.FIELD_NAME;
import static com.fasterxml.jackson.core.JsonToken.START_OBJECT;
import static com.fasterxml.jackson.core.JsonToken.VALUE_NULL;
import static com.fasterxml.jackson.core.JsonToken.VALUE_STRING;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * One body being read: the rules described on {@link PromptCounter}. Reads {@code model} and the
 * fields the caller asked for, offers every other top-level field to the API's {@link ApiReader},
 * and adds up. Not thread-safe.
 */
final class RequestParse {
  private final JsonFactory json;
  private final Encodings encodings;
  private final ApiKind api;
  private final byte[] body;
  private final boolean partial;
  private final Set<String> wanted;
  private final Function<String, String> configured;
  private final TextTokens tally;

  private JsonCursor in;
  private ApiReader reader;
  private String model;
  private Map<String, String> fields;

  RequestParse(
      JsonFactory json,
      Encodings encodings,
      ApiKind api,
      byte[] body,
      boolean partial,
      Set<String> wanted,
      Function<String, String> configured,
      TokenCountCache cache) {
    this.json = json;
    this.tally = new TextTokens(cache);
    this.encodings = encodings;
    this.api = api;
    this.body = body;
    this.partial = partial;
    this.wanted = wanted;
    this.configured = configured;
  }

  ParsedRequest run() {
    try (JsonParser parser = json.createParser(body)) {
      in = new JsonCursor(parser, body, partial, tally);
      reader = ApiReader.of(api, in);
      JsonToken first;
      try {
        first = in.next();
      } catch (JsonProcessingException e) {
        throw malformed(e);
      }
      if (first != START_OBJECT) {
        throw new InvalidRequestException(
            null,
            first == null
                ? "The request body is empty: expected a JSON object."
                : "The request body must be a JSON object, not " + JsonCursor.kind(first) + ".");
      }
      try {
        readTop();
        if (!partial && in.next() != null) {
          throw new InvalidRequestException(
              null,
              "We could not parse the JSON body of your request: content after the JSON object.");
        }
      } catch (StreamConstraintsException e) {
        throw new InvalidRequestException(
            null, "The request body is too deeply nested or too large: " + e.getOriginalMessage());
      } catch (JsonProcessingException e) {
        if (!(partial && in.isCut(e))) {
          throw malformed(e);
        }
      }
    } catch (IOException e) {
      throw malformed(e);
    }
    return finish();
  }

  private void readTop() throws IOException {
    while (in.next() == FIELD_NAME) {
      String name = in.name();
      JsonToken v = in.next();
      if (name.equals("model")) {
        readModel(v);
      } else if (!reader.field(name, v)) {
        in.skip(v);
      }
      if (v == VALUE_STRING && wanted.contains(name)) {
        if (fields == null) {
          fields = new HashMap<>();
        }
        fields.put(name, in.string());
      }
    }
  }

  private void readModel(JsonToken v) throws IOException {
    if (v != VALUE_STRING) {
      if (v == VALUE_NULL) {
        throw JsonCursor.missing("model");
      }
      throw in.type("a string", v);
    }
    String m = in.string(); // a cut value throws here: model stays unknown
    if (m.isEmpty()) {
      throw JsonCursor.missing("model");
    }
    model = m;
    tally.resolve(encodings.counting(m, configured == null ? null : configured.apply(m)));
  }

  private ParsedRequest finish() {
    if (!partial) {
      if (model == null) {
        throw JsonCursor.missing("model");
      }
      reader.requireComplete();
    }
    if (tally.encoding() == null) {
      tally.resolve(encodings.counting(null, null));
    }
    long prompt = tally.tokens() + reader.extraPromptTokens(model, tally.encoding());
    return new ParsedRequest(
        api,
        model,
        (int) Math.min(Integer.MAX_VALUE, Math.max(0, prompt)),
        reader.maxOutputTokens(),
        (int) Math.min(Integer.MAX_VALUE, reader.choices()),
        reader.stream(),
        reader.includeUsage(),
        fields == null ? Map.of() : fields,
        partial);
  }

  private InvalidRequestException malformed(IOException e) {
    return JsonCursor.malformed(e, in == null ? null : in.parser());
  }
}
