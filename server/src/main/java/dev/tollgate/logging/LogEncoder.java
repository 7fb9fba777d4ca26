package dev.tollgate.logging;

import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.encoder.EncoderBase;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.event.KeyValuePair;

/**
 * Writes each log event as one line: text (the pattern, then the event's key-value pairs as {@code
 * key=value}) or, after {@link #useJson(boolean) useJson(true)}, one JSON object with {@code ts},
 * {@code level}, {@code logger}, {@code thread}, {@code message}, {@code event} (the reason code a
 * message starts with, such as {@code store.unavailable} or {@code config.reload_failed}), one
 * field per key-value pair and MDC entry, and {@code error} and {@code stack} for an exception.
 * Every encoder in the process follows the same switch, so {@code server.log_format} applies to
 * lines already configured.
 */
public final class LogEncoder extends EncoderBase<ILoggingEvent> {
  private static final JsonFactory JSON = new JsonFactory();
  private static final byte[] EMPTY = new byte[0];

  /**
   * Field names the line itself uses: a key-value pair of the same name gets a {@code kv_} prefix.
   */
  private static final Set<String> RESERVED =
      Set.of("ts", "level", "logger", "thread", "message", "event", "error", "stack");

  /**
   * A reason code at the start of a message: {@code store.unavailable}, {@code config.reloaded}.
   */
  private static final Pattern EVENT =
      Pattern.compile("^([a-z][a-z0-9_]*(?:\\.[a-z0-9_]+)+)(?::|$)");

  private static volatile boolean json;

  private String pattern = "%d{HH:mm:ss.SSS} %-5level [%thread] %logger{30} - %msg%n";
  private PatternLayout layout;

  /** Switches every encoder to JSON lines (true) or text (false). */
  public static void useJson(boolean on) {
    json = on;
  }

  /** Whether lines are written as JSON. */
  public static boolean json() {
    return json;
  }

  /** The text line's logback pattern (set from {@code logback.xml}). */
  public void setPattern(String pattern) {
    this.pattern = pattern;
  }

  @Override
  public void start() {
    layout = new PatternLayout();
    layout.setContext(getContext());
    layout.setPattern(pattern);
    layout.start();
    super.start();
  }

  @Override
  public void stop() {
    if (layout != null) {
      layout.stop();
    }
    super.stop();
  }

  @Override
  public byte[] headerBytes() {
    return EMPTY;
  }

  @Override
  public byte[] footerBytes() {
    return EMPTY;
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    return json ? jsonLine(event) : textLine(event);
  }

  private byte[] textLine(ILoggingEvent event) {
    String line = layout.doLayout(event);
    List<KeyValuePair> kvs = event.getKeyValuePairs();
    if (kvs != null && !kvs.isEmpty() && line.endsWith("\n")) {
      StringBuilder b = new StringBuilder(line.length() + 16 * kvs.size());
      int end = line.endsWith("\r\n") ? line.length() - 2 : line.length() - 1;
      b.append(line, 0, end);
      for (KeyValuePair kv : kvs) {
        String v = String.valueOf(kv.value);
        b.append(' ').append(kv.key).append('=');
        if (v.isEmpty() || v.indexOf(' ') >= 0 || v.indexOf('"') >= 0) {
          b.append('"').append(v.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
        } else {
          b.append(v);
        }
      }
      b.append(line, end, line.length());
      line = b.toString();
    }
    return line.getBytes(StandardCharsets.UTF_8);
  }

  /** One JSON object and a newline. */
  static byte[] jsonLine(ILoggingEvent event) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("ts", event.getInstant().toString());
      g.writeStringField("level", event.getLevel().toString());
      g.writeStringField("logger", event.getLoggerName());
      g.writeStringField("thread", event.getThreadName());
      String message = event.getFormattedMessage();
      g.writeStringField("message", message);
      Matcher code = message == null ? null : EVENT.matcher(message);
      if (code != null && code.find()) {
        g.writeStringField("event", code.group(1));
      }
      List<KeyValuePair> kvs = event.getKeyValuePairs();
      if (kvs != null) {
        for (KeyValuePair kv : kvs) {
          field(g, kv.key, kv.value);
        }
      }
      Map<String, String> mdc = event.getMDCPropertyMap();
      if (mdc != null) {
        for (Map.Entry<String, String> e : mdc.entrySet()) {
          field(g, e.getKey(), e.getValue());
        }
      }
      IThrowableProxy t = event.getThrowableProxy();
      if (t != null) {
        g.writeStringField(
            "error", t.getClassName() + (t.getMessage() == null ? "" : ": " + t.getMessage()));
        g.writeStringField("stack", ThrowableProxyUtil.asString(t));
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    out.write('\n');
    return out.toByteArray();
  }

  private static void field(JsonGenerator g, String key, Object value) throws IOException {
    String name = RESERVED.contains(key) ? "kv_" + key : key;
    g.writeFieldName(name);
    if (value == null) {
      g.writeNull();
    } else if (value instanceof Integer || value instanceof Long || value instanceof Short) {
      g.writeNumber(((Number) value).longValue());
    } else if (value instanceof Double || value instanceof Float) {
      g.writeNumber(((Number) value).doubleValue());
    } else if (value instanceof java.math.BigDecimal d) {
      g.writeNumber(d);
    } else if (value instanceof Boolean b) {
      g.writeBoolean(b);
    } else {
      g.writeString(String.valueOf(value));
    }
  }
}
