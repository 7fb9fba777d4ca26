package dev.tollgate.response;

/**
 * An incremental parser of {@code text/event-stream}: fed byte chunks that may split an event, a
 * line or even a CRLF anywhere, it calls the listener once per complete event. Lines end with LF,
 * CR or CRLF; {@code data:} lines of one event are joined with LF; comments are skipped.
 *
 * <p>Memory is bounded: a line longer than {@code maxLineBytes} is dropped, an event whose data
 * grows past {@code maxEventBytes} (its blank line never comes) is dropped, both counted, and
 * parsing goes on at the next line or event. Buffers are drawn from a {@link BufferBudget} lease;
 * when the budget refuses, the parser stops for good ({@link #overBudget()}) and frees them.
 */
public final class SseParser {
  /** The default cap of one event's data. */
  public static final int MAX_EVENT_BYTES = 1 << 20;

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
  private final BoundedBuffer line;
  private final BoundedBuffer data;
  private boolean lineTooLong;
  private boolean lastWasCr;
  private String event;
  private boolean hasData;
  private boolean eventTooLarge;
  private boolean overBudget;
  private long droppedLines;
  private long droppedEvents;

  /** A parser with {@link #MAX_EVENT_BYTES} per event and no shared budget. */
  public SseParser(Listener listener, int maxLineBytes) {
    this(listener, maxLineBytes, MAX_EVENT_BYTES, BufferBudget.unlimited().lease());
  }

  /**
   * @param listener receives the events
   * @param maxLineBytes the longest line kept
   * @param maxEventBytes the most data one event may carry
   * @param lease where the buffers' memory comes from
   */
  public SseParser(
      Listener listener, int maxLineBytes, int maxEventBytes, BufferBudget.Lease lease) {
    this.listener = listener;
    this.line = new BoundedBuffer(maxLineBytes, lease);
    this.data = new BoundedBuffer(maxEventBytes, lease);
  }

  /** Feeds the next bytes of the stream. */
  public void feed(byte[] chunk, int off, int len) {
    int end = off + len;
    int start = off;
    for (int i = off; i < end && !overBudget; i++) {
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
    if (overBudget) {
      return;
    }
    if (line.size() > 0 && !lineTooLong) {
      endLine();
    }
    dispatch();
    line.release();
    data.release();
  }

  /** Lines dropped for being longer than the limit. */
  public long droppedLines() {
    return droppedLines;
  }

  /** Events dropped for carrying more data than the limit. */
  public long droppedEvents() {
    return droppedEvents;
  }

  /** True once the budget refused a buffer: nothing more is parsed. */
  public boolean overBudget() {
    return overBudget;
  }

  /** Buffer bytes held now. */
  public int retainedBytes() {
    return line.capacity() + data.capacity();
  }

  private void append(byte[] b, int off, int len) {
    if (len <= 0 || lineTooLong || overBudget) {
      return;
    }
    switch (line.append(b, off, len)) {
      case TOO_LARGE -> {
        lineTooLong = true;
        line.clear();
      }
      case NO_BUDGET -> stop();
      default -> {}
    }
  }

  private void endLine() {
    if (overBudget) {
      return;
    }
    if (lineTooLong) {
      lineTooLong = false;
      droppedLines++;
      line.clear();
      return;
    }
    int n = line.size();
    if (n == 0) {
      dispatch();
      return;
    }
    if (line.at(0) == ':') {
      line.clear();
      return;
    }
    int colon = 0;
    while (colon < n && line.at(colon) != ':') {
      colon++;
    }
    int value = Math.min(n, colon + 1);
    if (value < n && line.at(value) == ' ') {
      value++;
    }
    if (isField(colon, "data")) {
      addData(value, n);
    } else if (isField(colon, "event")) {
      event = line.utf8(value);
    }
    line.clear();
  }

  private boolean isField(int len, String name) {
    if (len != name.length()) {
      return false;
    }
    for (int i = 0; i < len; i++) {
      if (line.at(i) != name.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private void addData(int from, int to) {
    if (eventTooLarge) {
      return;
    }
    BoundedBuffer.Append r = hasData ? data.append((byte) '\n') : BoundedBuffer.Append.OK;
    hasData = true;
    if (r == BoundedBuffer.Append.OK) {
      r = data.appendFrom(line, from, to - from);
    }
    switch (r) {
      case TOO_LARGE -> {
        eventTooLarge = true;
        data.clear();
      }
      case NO_BUDGET -> stop();
      default -> {}
    }
  }

  private void dispatch() {
    if (eventTooLarge) {
      droppedEvents++;
    } else if (hasData) {
      listener.onEvent(event, data.utf8(0));
    }
    data.clear();
    hasData = false;
    eventTooLarge = false;
    event = null;
  }

  private void stop() {
    overBudget = true;
    line.release();
    data.release();
    hasData = false;
    event = null;
  }
}
