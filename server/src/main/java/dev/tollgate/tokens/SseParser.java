package dev.tollgate.tokens;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * An incremental parser of {@code text/event-stream}: fed byte chunks that may split an event, a
 * line or even a CRLF anywhere, it calls the listener once per complete event. Lines end with
 * LF, CR or CRLF; {@code data:} lines of one event are joined with LF; comments are skipped.
 * Memory is bounded: a line longer than {@code maxLineBytes} is dropped (and counted), the rest
 * of the stream goes on.
 */
public final class SseParser {
  /** Receives complete events. */
  public interface Listener {
    /**
     * One event.
     *
     * @param event the {@code event:} name, or null for unnamed events
     * @param data the data lines joined with LF
     */
    void onEvent(String event, String data);
  }

  private final Listener listener;
  private final int maxLineBytes;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
  private boolean lineTooLong;
  private boolean lastWasCr;
  private String event;
  private StringBuilder data;
  private long droppedLines;

  public SseParser(Listener listener, int maxLineBytes) {
    this.listener = listener;
    this.maxLineBytes = maxLineBytes;
  }

  /** Feeds the next bytes of the stream. */
  public void feed(byte[] chunk, int off, int len) {
    int end = off + len;
    int start = off;
    for (int i = off; i < end; i++) {
      byte b = chunk[i];
      if (b == '\n' || b == '\r') {
        if (b == '\n' && lastWasCr && i == start && line.size() == 0 && !lineTooLong) {
          // the LF of a CRLF split across chunks, or right after the CR in this chunk
          lastWasCr = false;
          start = i + 1;
          continue;
        }
        append(chunk, start, i - start);
        endLine();
        lastWasCr = b == '\r';
        if (lastWasCr && i + 1 < end && chunk[i + 1] == '\n') {
          i++;
          lastWasCr = false;
        }
        start = i + 1;
      } else {
        lastWasCr = false;
      }
    }
    append(chunk, start, end - start);
  }

  /** Feeds a whole array. */
  public void feed(byte[] chunk) {
    feed(chunk, 0, chunk.length);
  }

  /** The stream ended: an event not yet terminated by a blank line is dispatched. */
  public void finish() {
    if (line.size() > 0 && !lineTooLong) {
      endLine();
    }
    dispatch();
  }

  /** Lines dropped for being longer than the limit. */
  public long droppedLines() {
    return droppedLines;
  }

  private void append(byte[] b, int off, int len) {
    if (len <= 0 || lineTooLong) {
      return;
    }
    if (line.size() + len > maxLineBytes) {
      lineTooLong = true;
      line.reset();
      return;
    }
    line.write(b, off, len);
  }

  private void endLine() {
    if (lineTooLong) {
      lineTooLong = false;
      droppedLines++;
      line.reset();
      return;
    }
    if (line.size() == 0) {
      dispatch();
      return;
    }
    String l = line.toString(StandardCharsets.UTF_8);
    line.reset();
    if (l.startsWith(":")) {
      return;
    }
    int colon = l.indexOf(':');
    String field = colon < 0 ? l : l.substring(0, colon);
    String value = colon < 0 ? "" : l.substring(colon + 1);
    if (value.startsWith(" ")) {
      value = value.substring(1);
    }
    switch (field) {
      case "data" -> {
        if (data == null) {
          data = new StringBuilder(value.length());
        } else {
          data.append('\n');
        }
        data.append(value);
      }
      case "event" -> event = value;
      default -> { }
    }
  }

  private void dispatch() {
    if (data != null) {
      listener.onEvent(event, data.toString());
    }
    data = null;
    event = null;
  }
}
