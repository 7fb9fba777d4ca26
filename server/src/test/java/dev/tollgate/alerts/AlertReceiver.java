package dev.tollgate.alerts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.tollgate.testsupport.FreePorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A webhook receiver on 127.0.0.1: records every POST (path, headers, body) and answers with the
 * status set for its path (200 unless told otherwise).
 */
public final class AlertReceiver implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One request received. */
  public record Received(String path, Map<String, String> headers, String body) {
    /** The body as JSON. */
    public JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** A header (names in lower case). */
    public String header(String name) {
      return headers.get(name.toLowerCase(java.util.Locale.ROOT));
    }
  }

  private final HttpServer server;
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final Map<String, AtomicInteger> statuses =
      new java.util.concurrent.ConcurrentHashMap<>();

  public AlertReceiver() throws IOException {
    server = HttpServer.create(FreePorts.anyPort(), 0);
    server.createContext(
        "/",
        exchange -> {
          String body =
              new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
          Map<String, String> headers = new java.util.TreeMap<>();
          exchange
              .getRequestHeaders()
              .forEach(
                  (k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), String.join(",", v)));
          String path = exchange.getRequestURI().getPath();
          received.add(new Received(path, headers, body));
          AtomicInteger status = statuses.get(path);
          exchange.sendResponseHeaders(status == null ? 200 : status.get(), -1);
          exchange.close();
        });
    server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(2));
    server.start();
  }

  /** Answers {@code status} to POSTs on {@code path}. */
  public void answer(String path, int status) {
    statuses.put(path, new AtomicInteger(status));
  }

  /** The URL of {@code path} on this receiver. */
  public String url(String path) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + path;
  }

  /** Every request received so far. */
  public List<Received> received() {
    return List.copyOf(received);
  }

  /** The requests received on {@code path}. */
  public List<Received> on(String path) {
    return received.stream().filter(r -> r.path().equals(path)).toList();
  }

  @Override
  public void close() {
    server.stop(0);
    ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
  }
}
