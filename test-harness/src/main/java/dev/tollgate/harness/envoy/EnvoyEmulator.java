package dev.tollgate.harness.envoy;

import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.tollgate.testsupport.EnvoyChecks;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ImmediateResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An HTTP/1.1 front that behaves as Envoy does with the ext_authz and ext_proc filters (ENVOY.md
 * §1, §2) for the settings of an {@code envoy/} bootstrap: Check with the body (bytes or string,
 * partial or 413), denied responses as given, {@code status_on_error} on failures, OK header
 * mutations ({@code append: false} overwrites, else the newest Envoy's add), {@code
 * headers_to_remove}, {@code response_headers_to_add} on the response; then an ext_proc stream
 * carrying the ext_authz metadata, one reply awaited per message within the message timeout (504
 * past it), {@code raw_value} header mutations; the upstream response streamed back chunk by chunk.
 */
public final class EnvoyEmulator implements AutoCloseable {
  private static final Set<String> HOP =
      Set.of(
          "connection",
          "keep-alive",
          "transfer-encoding",
          "upgrade",
          "host",
          "content-length",
          "expect");

  private final HttpServer server;
  private final ExecutorService executor;
  private final EmulatorSettings settings;
  private final ManagedChannel tollgate;
  private final URI upstream;
  private final HttpClient http;
  private final AtomicLong streamIds = new AtomicLong(1);

  private EnvoyEmulator(
      HttpServer server,
      ExecutorService executor,
      EmulatorSettings settings,
      ManagedChannel tollgate,
      URI upstream) {
    this.server = server;
    this.executor = executor;
    this.settings = settings;
    this.tollgate = tollgate;
    this.upstream = upstream;
    this.http =
        HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(executor).build();
  }

  /**
   * Starts on 127.0.0.1.
   *
   * @param port listen port (0: any)
   * @param settings filter settings (see {@link EmulatorSettings#fromBootstrap})
   * @param tollgate a channel to Tollgate's gRPC port
   * @param upstream the upstream base, e.g. {@code http://127.0.0.1:18080}
   */
  public static EnvoyEmulator start(
      int port, EmulatorSettings settings, ManagedChannel tollgate, URI upstream)
      throws IOException {
    HttpServer s =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 256);
    ExecutorService ex =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "envoy-emulator");
              t.setDaemon(true);
              return t;
            });
    EnvoyEmulator e = new EnvoyEmulator(s, ex, settings, tollgate, upstream);
    s.createContext("/", e::handle);
    s.setExecutor(ex);
    s.start();
    return e;
  }

  /** The base URL clients use, e.g. {@code http://127.0.0.1:10000/v1}. */
  public String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      long streamId = streamIds.incrementAndGet();
      byte[] body = ex.getRequestBody().readAllBytes();
      String path =
          ex.getRequestURI().getRawPath()
              + (ex.getRequestURI().getRawQuery() == null
                  ? ""
                  : "?" + ex.getRequestURI().getRawQuery());
      List<String[]> headers = new ArrayList<>();
      ex.getRequestHeaders()
          .forEach(
              (k, vs) ->
                  vs.forEach(v -> headers.add(new String[] {k.toLowerCase(Locale.ROOT), v})));
      // ext_authz
      if (settings.maxRequestBytes() > 0
          && body.length > settings.maxRequestBytes()
          && !settings.allowPartialMessage()) {
        local(ex, 413, Map.of(), "Payload Too Large");
        return;
      }
      CheckResponse check;
      long checkStart = System.nanoTime();
      try {
        check =
            AuthorizationGrpc.newBlockingStub(tollgate)
                .withDeadlineAfter(settings.checkTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .check(
                    EnvoyMessages.check(
                        settings,
                        streamId,
                        ex.getRequestMethod(),
                        path,
                        headers,
                        ByteString.copyFrom(body),
                        ex.getRemoteAddress(),
                        ex.getLocalAddress()));
      } catch (io.grpc.StatusRuntimeException e) {
        if (!settings.failureModeAllow()) {
          local(ex, settings.statusOnError(), Map.of(), "");
          return;
        }
        check = null;
      }
      Struct authzMetadata = null;
      List<HeaderValueOption> responseHeadersToAdd = List.of();
      if (check != null) {
        if (check.getDynamicMetadata().getFieldsCount() > 0) {
          authzMetadata = check.getDynamicMetadata();
        }
        if (check.getStatus().getCode() != 0) {
          int status = check.getDeniedResponse().getStatus().getCodeValue();
          Map<String, String> h = new LinkedHashMap<>();
          for (HeaderValueOption o : check.getDeniedResponse().getHeadersList()) {
            h.put(o.getHeader().getKey().toLowerCase(Locale.ROOT), o.getHeader().getValue());
          }
          local(ex, status == 0 ? 403 : status, h, check.getDeniedResponse().getBody());
          return;
        }
        applyOk(headers, check, settings.legacy());
        responseHeadersToAdd = check.getOkResponse().getResponseHeadersToAddList();
      }
      // ext_proc
      ExtProcStream proc =
          settings.extProc()
              ? new ExtProcStream(
                  EnvoyMessages.forwarded(
                      settings,
                      authzMetadata,
                      TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - checkStart)))
              : null;
      try {
        if (proc != null) {
          ProcessingResponse r =
              proc.send(
                  EnvoyMessages.headers(
                      proc.metadata,
                      false,
                      forwardable(
                          EnvoyChecks.withPseudoHeaders(ex.getRequestMethod(), path, headers)),
                      body.length == 0));
          applyMutation(headers, r.getRequestHeaders().getResponse());
          if (body.length > 0 && settings.requestBodyBuffered()) {
            r =
                proc.send(
                    EnvoyMessages.body(proc.metadata, false, ByteString.copyFrom(body), true));
            CommonResponse c = r.getRequestBody().getResponse();
            if (c.hasBodyMutation() && !c.getBodyMutation().getBody().isEmpty()) {
              body = c.getBodyMutation().getBody().toByteArray();
            }
            applyMutation(headers, c);
          }
        }
        forward(ex, path, headers, body, proc, responseHeadersToAdd);
      } catch (Immediate im) {
        ImmediateResponse ir = im.response;
        int status =
            ir.hasStatus() && ir.getStatus().getCodeValue() >= 200
                ? ir.getStatus().getCodeValue()
                : 200;
        Map<String, String> h = new LinkedHashMap<>();
        for (HeaderValueOption o : ir.getHeaders().getSetHeadersList()) {
          h.put(
              o.getHeader().getKey().toLowerCase(Locale.ROOT),
              o.getHeader().getRawValue().toStringUtf8());
        }
        local(ex, status, h, ir.getBody().toStringUtf8());
      } catch (MessageTimeout t) {
        local(ex, 504, Map.of(), "ext_proc_error_per-message_timeout_exceeded");
      } catch (ProcError t) {
        local(ex, 500, Map.of(), "ext_proc_error_gRPC_error");
      } finally {
        if (proc != null) {
          proc.close();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void forward(
      HttpExchange ex,
      String path,
      List<String[]> headers,
      byte[] body,
      ExtProcStream proc,
      List<HeaderValueOption> responseHeadersToAdd)
      throws IOException, InterruptedException, MessageTimeout, ProcError, Immediate {
    HttpRequest.Builder rb =
        HttpRequest.newBuilder(upstream.resolve(path))
            .method(
                ex.getRequestMethod(),
                body.length == 0
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(body));
    for (String[] h : headers) {
      if (!HOP.contains(h[0]) && !h[0].startsWith(":")) {
        rb.header(h[0], h[1]);
      }
    }
    HttpResponse<InputStream> resp =
        http.send(rb.build(), HttpResponse.BodyHandlers.ofInputStream());
    List<String[]> rh = new ArrayList<>();
    rh.add(new String[] {":status", Integer.toString(resp.statusCode())});
    resp.headers()
        .map()
        .forEach(
            (k, vs) -> {
              if (!k.startsWith(":")) {
                vs.forEach(v -> rh.add(new String[] {k.toLowerCase(Locale.ROOT), v}));
              }
            });
    try (InputStream in = resp.body()) {
      if (proc != null) {
        if (settings.responseBodyStreamed()) {
          rh.removeIf(h -> h[0].equals("content-length"));
        }
        ProcessingResponse r =
            proc.send(EnvoyMessages.headers(proc.metadata, true, forwardable(rh), false));
        applyMutation(rh, r.getResponseHeaders().getResponse());
      }
      // the Check's response_headers_to_add: `append: false` overwrites, else added (ENVOY.md §1)
      for (HeaderValueOption o : responseHeadersToAdd) {
        String k = o.getHeader().getKey().toLowerCase(Locale.ROOT);
        if (o.hasAppend() && !o.getAppend().getValue()) {
          rh.removeIf(h -> h[0].equals(k));
        }
        rh.add(new String[] {k, o.getHeader().getValue()});
      }
      for (String[] h : rh) {
        if (!h[0].startsWith(":") && !HOP.contains(h[0])) {
          ex.getResponseHeaders().add(h[0], h[1]);
        }
      }
      ex.sendResponseHeaders(resp.statusCode(), 0);
      OutputStream out = ex.getResponseBody();
      byte[] buf = new byte[8192];
      if (proc != null && !settings.responseBodyStreamed()) {
        byte[] all = in.readAllBytes();
        proc.send(EnvoyMessages.body(proc.metadata, true, ByteString.copyFrom(all), true));
        out.write(all);
        return;
      }
      int n;
      while ((n = in.read(buf)) >= 0) {
        if (n == 0) {
          continue;
        }
        if (proc != null) {
          proc.send(EnvoyMessages.body(proc.metadata, true, ByteString.copyFrom(buf, 0, n), false));
        }
        out.write(buf, 0, n);
        out.flush();
      }
      if (proc != null) {
        proc.send(EnvoyMessages.body(proc.metadata, true, ByteString.EMPTY, true));
      }
    }
  }

  /** The headers ext_proc's {@code forward_rules} let through to the processor. */
  private List<String[]> forwardable(List<String[]> headers) {
    return headers.stream().filter(h -> settings.forwardsToProcessor(h[0])).toList();
  }

  /**
   * ext_authz OK mutations (the header's {@code value}), then removals. Envoy 1.32 and older:
   * {@code append} unset or false overwrites, true comma-appends to an existing value. Newest: an
   * explicit {@code append} false overwrites and true adds; unset follows {@code append_action}
   * (default APPEND_IF_EXISTS_OR_ADD: a duplicate header).
   */
  @SuppressWarnings("deprecation")
  static void applyOk(List<String[]> headers, CheckResponse check, boolean legacy) {
    for (HeaderValueOption o : check.getOkResponse().getHeadersList()) {
      String key = o.getHeader().getKey().toLowerCase(Locale.ROOT);
      String value = o.getHeader().getValue();
      boolean exists = headers.stream().anyMatch(h -> h[0].equals(key));
      if (legacy) {
        if (o.hasAppend() && o.getAppend().getValue() && exists) {
          headers.stream()
              .filter(h -> h[0].equals(key))
              .findFirst()
              .ifPresent(h -> h[1] = h[1] + "," + value);
        } else {
          headers.removeIf(h -> h[0].equals(key));
          headers.add(new String[] {key, value});
        }
        continue;
      }
      HeaderValueOption.HeaderAppendAction action =
          o.hasAppend()
              ? (o.getAppend().getValue()
                  ? HeaderValueOption.HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD
                  : HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD)
              : o.getAppendAction();
      switch (action) {
        case ADD_IF_ABSENT -> {
          if (!exists) {
            headers.add(new String[] {key, value});
          }
        }
        case OVERWRITE_IF_EXISTS_OR_ADD -> {
          headers.removeIf(h -> h[0].equals(key));
          headers.add(new String[] {key, value});
        }
        case OVERWRITE_IF_EXISTS -> {
          if (exists) {
            headers.removeIf(h -> h[0].equals(key));
            headers.add(new String[] {key, value});
          }
        }
        default -> headers.add(new String[] {key, value});
      }
    }
    for (String r : check.getOkResponse().getHeadersToRemoveList()) {
      String key = r.toLowerCase(Locale.ROOT);
      if (!key.startsWith(":") && !key.equals("host")) {
        headers.removeIf(h -> h[0].equals(key));
      }
    }
  }

  /**
   * ext_proc header mutations: {@code raw_value} only (a {@code value} alone gives an empty header,
   * both is an error); changes to {@code x-envoy-*}, {@code :}-headers and {@code host} ignored.
   */
  @SuppressWarnings("deprecation")
  private static void applyMutation(List<String[]> headers, CommonResponse c) throws ProcError {
    if (!c.hasHeaderMutation()) {
      return;
    }
    for (HeaderValueOption o : c.getHeaderMutation().getSetHeadersList()) {
      if (!o.getHeader().getValue().isEmpty() && !o.getHeader().getRawValue().isEmpty()) {
        throw new ProcError();
      }
      String key = o.getHeader().getKey().toLowerCase(Locale.ROOT);
      if (key.startsWith(":") || key.startsWith("x-envoy-") || key.equals("host")) {
        continue;
      }
      String value = o.getHeader().getRawValue().toStringUtf8();
      if (!(o.hasAppend() && o.getAppend().getValue())) {
        headers.removeIf(h -> h[0].equals(key));
      }
      headers.add(new String[] {key, value});
    }
    for (String r : c.getHeaderMutation().getRemoveHeadersList()) {
      headers.removeIf(h -> h[0].equals(r.toLowerCase(Locale.ROOT)));
    }
  }

  private static void local(HttpExchange ex, int status, Map<String, String> headers, String body)
      throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    headers.forEach((k, v) -> ex.getResponseHeaders().set(k, v));
    ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
    if (b.length > 0) {
      ex.getResponseBody().write(b);
    }
  }

  private static final class MessageTimeout extends Exception {
    private static final long serialVersionUID = 1L;
  }

  private static final class ProcError extends Exception {
    private static final long serialVersionUID = 1L;
  }

  /** The processor answered with an ImmediateResponse: a local reply, the stream is over. */
  private static final class Immediate extends Exception {
    private static final long serialVersionUID = 1L;
    private final transient ImmediateResponse response;

    Immediate(ImmediateResponse response) {
      this.response = response;
    }
  }

  /** One ext_proc stream: a message out, its reply awaited within the message timeout. */
  private final class ExtProcStream {
    private final LinkedBlockingQueue<Object> replies = new LinkedBlockingQueue<>();
    private final StreamObserver<ProcessingRequest> out;
    final Metadata metadata;
    private boolean done;

    ExtProcStream(Metadata metadata) {
      this.metadata = metadata;
      this.out =
          ExternalProcessorGrpc.newStub(tollgate)
              .process(
                  new StreamObserver<>() {
                    @Override
                    public void onNext(ProcessingResponse value) {
                      replies.add(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                      replies.add(t);
                    }

                    @Override
                    public void onCompleted() {
                      replies.add("closed");
                    }
                  });
    }

    ProcessingResponse send(ProcessingRequest sent)
        throws InterruptedException, MessageTimeout, ProcError, Immediate {
      if (done) {
        return ProcessingResponse.getDefaultInstance();
      }
      out.onNext(sent);
      Object r = replies.poll(settings.messageTimeout().toMillis(), TimeUnit.MILLISECONDS);
      if (r == null) {
        done = true;
        if (settings.extProcFailureModeAllow()) {
          return ProcessingResponse.getDefaultInstance();
        }
        throw new MessageTimeout();
      }
      if (r instanceof ProcessingResponse p) {
        if (p.hasImmediateResponse()) {
          done = true;
          throw new Immediate(p.getImmediateResponse());
        }
        if (!p.getResponseCase().name().equals(sent.getRequestCase().name())) {
          // a spurious reply: old Envoy stops using the processor for this request; the newest
          // fails it
          done = true;
          out.onError(
              io.grpc.Status.CANCELLED.withDescription("spurious message").asRuntimeException());
          if (settings.legacy() || settings.extProcFailureModeAllow()) {
            return ProcessingResponse.getDefaultInstance();
          }
          throw new ProcError();
        }
        return p;
      }
      done = true;
      if (r instanceof Throwable && !settings.extProcFailureModeAllow()) {
        throw new ProcError();
      }
      return ProcessingResponse
          .getDefaultInstance(); // closed OK: processing ends, traffic continues
    }

    void close() {
      if (!done) {
        out.onCompleted();
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
