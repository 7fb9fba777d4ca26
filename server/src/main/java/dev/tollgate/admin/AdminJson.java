package dev.tollgate.admin;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import com.sun.net.httpserver.HttpExchange;
import dev.tollgate.admin.v1.AdviseLimitsRequest;
import dev.tollgate.admin.v1.GetUsageRequest;
import dev.tollgate.admin.v1.ListOverridesRequest;
import dev.tollgate.admin.v1.QuotaAdminGrpc;
import dev.tollgate.admin.v1.TopUsersRequest;
import dev.tollgate.admin.v1.UsageReportRequest;
import dev.tollgate.auth.ServiceKeys;
import dev.tollgate.config.TollgateConfig;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * The read-only admin calls as JSON over HTTP, for the dashboard: {@code POST /admin/v1/<Method>}
 * with the request message as JSON (proto3 JSON mapping) answers the response message as JSON. Each
 * call goes through the same service definition as gRPC, in process (so through the same admin-key
 * check, {@link AdminService#authorize}, checked here first as well); a gRPC status becomes an HTTP
 * status and {@code {"error": {"code", "message"}}}.
 */
public final class AdminJson implements AutoCloseable {
  /** Largest request body accepted. */
  public static final int MAX_BODY_BYTES = 64 * 1024;

  /** The path prefix of the calls. */
  public static final String PREFIX = "/admin/v1/";

  /** Calls waiting for a thread before more are refused. */
  static final int QUEUE = 32;

  private static final long CALL_TIMEOUT_SECONDS = 120;
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  /** The calls served, with a builder of each one's request. */
  private static final Map<String, Supplier<Message.Builder>> CALLS =
      Map.of(
          "UsageReport", UsageReportRequest::newBuilder,
          "TopUsers", TopUsersRequest::newBuilder,
          "AdviseLimits", AdviseLimitsRequest::newBuilder,
          "GetUsage", GetUsageRequest::newBuilder,
          "ListOverrides", ListOverridesRequest::newBuilder);

  private static final JsonFormat.Printer PRINTER =
      JsonFormat.printer().alwaysPrintFieldsWithNoPresence();
  private static final JsonFormat.Parser PARSER = JsonFormat.parser();

  private final ServerServiceDefinition admin;
  private final Supplier<ServiceKeys> keys;
  private final ExecutorService workers =
      new ThreadPoolExecutor(
          2,
          2,
          0,
          TimeUnit.MILLISECONDS,
          new ArrayBlockingQueue<>(QUEUE),
          r -> {
            Thread t = new Thread(r, "tollgate-admin-json");
            t.setDaemon(true);
            return t;
          });

  /**
   * @param admin the QuotaAdmin service as served over gRPC (with its key check)
   * @param config the configuration whose keys it checks
   */
  public AdminJson(ServerServiceDefinition admin, TollgateConfig config) {
    this(admin, dev.tollgate.config.LiveConfig.of(config));
  }

  /**
   * @param admin the QuotaAdmin service as served over gRPC (with its key check)
   * @param live the configuration whose keys it checks, replaced by a reload
   */
  public AdminJson(ServerServiceDefinition admin, dev.tollgate.config.LiveConfig live) {
    this.admin = admin;
    this.keys = live.derive(c -> new ServiceKeys(c.keys()));
  }

  /** Answers a request whose path starts with {@link #PREFIX}, on this class's own threads. */
  public void handle(HttpExchange ex) throws IOException {
    try {
      workers.execute(
          () -> {
            try {
              answer(ex);
            } catch (IOException | RuntimeException e) {
              ex.close();
            }
          });
    } catch (RejectedExecutionException e) {
      try (ex) {
        ex.getResponseHeaders().set("cache-control", "no-store");
        ex.getResponseHeaders().set("retry-after", "1");
        error(ex, 503, "UNAVAILABLE", "too many admin calls waiting; try again");
      }
    }
  }

  @Override
  public void close() {
    workers.shutdownNow();
  }

  private void answer(HttpExchange ex) throws IOException {
    try (ex) {
      ex.getResponseHeaders().set("cache-control", "no-store");
      ex.getResponseHeaders().set("x-content-type-options", "nosniff");
      String name = ex.getRequestURI().getPath().substring(PREFIX.length());
      Supplier<Message.Builder> builder = CALLS.get(name);
      if (builder == null) {
        error(
            ex,
            404,
            "NOT_FOUND",
            "no such call: try one of " + CALLS.keySet().stream().sorted().toList());
        return;
      }
      if (!"POST".equals(ex.getRequestMethod())) {
        ex.getResponseHeaders().set("allow", "POST");
        error(ex, 405, "METHOD_NOT_ALLOWED", "use POST with the request message as JSON");
        return;
      }
      String authorization = ex.getRequestHeaders().getFirst("authorization");
      Status denied = AdminService.authorize(keys.get(), authorization);
      if (!denied.isOk()) {
        error(ex, denied);
        return;
      }
      byte[] body = readBounded(ex.getRequestBody());
      if (body == null) {
        error(ex, 413, "PAYLOAD_TOO_LARGE", "request body over " + MAX_BODY_BYTES + " bytes");
        return;
      }
      Message.Builder request = builder.get();
      String text = new String(body, StandardCharsets.UTF_8).strip();
      try {
        if (!text.isEmpty()) {
          PARSER.merge(text, request);
        }
      } catch (InvalidProtocolBufferException | RuntimeException e) {
        error(ex, 400, "INVALID_ARGUMENT", "request body: " + e.getMessage());
        return;
      }
      Metadata headers = new Metadata();
      headers.put(AUTHORIZATION, authorization);
      Outcome outcome = call(name, request.build(), headers);
      if (!outcome.status().isOk()) {
        error(ex, outcome.status());
        return;
      }
      if (outcome.response() == null) {
        error(ex, 500, "INTERNAL", "no response");
        return;
      }
      send(ex, 200, PRINTER.print(outcome.response()));
    }
  }

  /** A call's end: its status and, when OK, its response. */
  record Outcome(Status status, Message response) {}

  /** Calls {@code name} of the service in process. */
  Outcome call(String name, Message request, Metadata headers) {
    @SuppressWarnings("unchecked")
    ServerMethodDefinition<Message, Message> method =
        (ServerMethodDefinition<Message, Message>)
            admin.getMethod(QuotaAdminGrpc.SERVICE_NAME + "/" + name);
    if (method == null) {
      return new Outcome(Status.UNIMPLEMENTED.withDescription(name), null);
    }
    CompletableFuture<Outcome> done = new CompletableFuture<>();
    List<Message> responses = new ArrayList<>();
    ServerCall<Message, Message> call =
        new ServerCall<>() {
          @Override
          public void request(int n) {}

          @Override
          public void sendHeaders(Metadata h) {}

          @Override
          public void sendMessage(Message message) {
            synchronized (responses) {
              responses.add(message);
            }
          }

          @Override
          public void close(Status status, Metadata trailers) {
            Message response;
            synchronized (responses) {
              response = responses.isEmpty() ? null : responses.get(0);
            }
            done.complete(new Outcome(status, status.isOk() ? response : null));
          }

          @Override
          public boolean isCancelled() {
            return false;
          }

          @Override
          public MethodDescriptor<Message, Message> getMethodDescriptor() {
            return method.getMethodDescriptor();
          }
        };
    ServerCall.Listener<Message> listener;
    try {
      listener = method.getServerCallHandler().startCall(call, headers);
      listener.onReady();
      listener.onMessage(request);
      listener.onHalfClose();
    } catch (RuntimeException e) {
      return new Outcome(Status.fromThrowable(e), null);
    }
    try {
      Outcome outcome = done.get(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      listener.onComplete();
      return outcome;
    } catch (TimeoutException e) {
      listener.onCancel();
      return new Outcome(Status.DEADLINE_EXCEEDED.withDescription(name + " took too long"), null);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      listener.onCancel();
      return new Outcome(Status.CANCELLED, null);
    } catch (ExecutionException e) {
      return new Outcome(Status.fromThrowable(e.getCause()), null);
    }
  }

  /** The HTTP status of a gRPC status code. */
  public static int httpStatus(Status.Code code) {
    return switch (code) {
      case OK -> 200;
      case INVALID_ARGUMENT, OUT_OF_RANGE, FAILED_PRECONDITION -> 400;
      case UNAUTHENTICATED -> 401;
      case PERMISSION_DENIED -> 403;
      case NOT_FOUND -> 404;
      case UNIMPLEMENTED -> 501;
      case UNAVAILABLE -> 503;
      case DEADLINE_EXCEEDED -> 504;
      default -> 500;
    };
  }

  private static byte[] readBounded(InputStream in) throws IOException {
    byte[] b = in.readNBytes(MAX_BODY_BYTES + 1);
    return b.length > MAX_BODY_BYTES ? null : b;
  }

  private static void error(HttpExchange ex, Status status) throws IOException {
    String message = status.getDescription() == null ? "" : status.getDescription();
    error(ex, httpStatus(status.getCode()), status.getCode().name(), message);
  }

  private static void error(HttpExchange ex, int http, String code, String message)
      throws IOException {
    send(
        ex,
        http,
        "{\"error\": {\"code\": " + quote(code) + ", \"message\": " + quote(message) + "}}\n");
  }

  private static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20 || c == '<' || c == '>' || c == '&') {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }

  private static void send(HttpExchange ex, int status, String json) throws IOException {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("content-type", "application/json; charset=utf-8");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }
}
