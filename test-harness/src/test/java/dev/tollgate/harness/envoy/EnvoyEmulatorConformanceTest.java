package dev.tollgate.harness.envoy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.BoolValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.rpc.Code;
import com.google.rpc.Status;
import com.sun.net.httpserver.HttpServer;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.envoyproxy.envoy.service.auth.v3.DeniedHttpResponse;
import io.envoyproxy.envoy.service.auth.v3.OkHttpResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import io.envoyproxy.envoy.type.v3.StatusCode;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The emulator against ENVOY.md §6, with a scripted ext_authz / ext_proc server and an upstream
 * that records what reaches it.
 */
class EnvoyEmulatorConformanceTest {
  private static final HttpClient CLIENT = HttpClient.newHttpClient();

  private final AtomicReference<Function<CheckRequest, CheckResponse>> authz =
      new AtomicReference<>();
  private final ConcurrentLinkedQueue<CheckRequest> checks = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<ProcessingRequest> procMessages =
      new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<Map<String, List<String>>> upstreamHeaders =
      new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<String> upstreamPaths = new ConcurrentLinkedQueue<>();
  private Server grpc;
  private ManagedChannel channel;
  private HttpServer upstream;
  private EnvoyEmulator envoy;

  @BeforeEach
  void start() throws Exception {
    grpc =
        NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
            .addService(
                new AuthorizationGrpc.AuthorizationImplBase() {
                  @Override
                  public void check(CheckRequest request, StreamObserver<CheckResponse> out) {
                    checks.add(request);
                    Function<CheckRequest, CheckResponse> f = authz.get();
                    if (f == null) {
                      out.onError(io.grpc.Status.UNAVAILABLE.asRuntimeException());
                      return;
                    }
                    out.onNext(f.apply(request));
                    out.onCompleted();
                  }
                })
            .addService(
                new ExternalProcessorGrpc.ExternalProcessorImplBase() {
                  @Override
                  public StreamObserver<ProcessingRequest> process(
                      StreamObserver<ProcessingResponse> out) {
                    return new StreamObserver<>() {
                      @Override
                      public void onNext(ProcessingRequest r) {
                        procMessages.add(r);
                        ProcessingResponse.Builder b = ProcessingResponse.newBuilder();
                        switch (r.getRequestCase()) {
                          case REQUEST_HEADERS ->
                              b.setRequestHeaders(
                                  io.envoyproxy.envoy.service.ext_proc.v3.HeadersResponse
                                      .getDefaultInstance());
                          case REQUEST_BODY ->
                              b.setRequestBody(
                                  io.envoyproxy.envoy.service.ext_proc.v3.BodyResponse
                                      .getDefaultInstance());
                          case RESPONSE_HEADERS ->
                              b.setResponseHeaders(
                                  io.envoyproxy.envoy.service.ext_proc.v3.HeadersResponse
                                      .getDefaultInstance());
                          case RESPONSE_BODY ->
                              b.setResponseBody(
                                  io.envoyproxy.envoy.service.ext_proc.v3.BodyResponse
                                      .getDefaultInstance());
                          default ->
                              b.setResponseTrailers(
                                  io.envoyproxy.envoy.service.ext_proc.v3.TrailersResponse
                                      .getDefaultInstance());
                        }
                        out.onNext(b.build());
                      }

                      @Override
                      public void onError(Throwable t) {}

                      @Override
                      public void onCompleted() {
                        out.onCompleted();
                      }
                    };
                  }
                })
            .build()
            .start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", grpc.getPort()).usePlaintext().build();
    upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    upstream.createContext(
        "/",
        ex -> {
          upstreamHeaders.add(Map.copyOf(ex.getRequestHeaders()));
          upstreamPaths.add(ex.getRequestURI().toString());
          ex.getRequestBody().readAllBytes();
          byte[] b = "{\"ok\":true}".getBytes();
          ex.getResponseHeaders().set("content-type", "application/json");
          ex.sendResponseHeaders(200, b.length);
          ex.getResponseBody().write(b);
          ex.close();
        });
    upstream.start();
  }

  private void emulator(EmulatorSettings s) throws Exception {
    envoy =
        EnvoyEmulator.start(
            0, s, channel, URI.create("http://127.0.0.1:" + upstream.getAddress().getPort()));
  }

  static EmulatorSettings settings(int maxBytes, boolean partial) {
    return new EmulatorSettings(
        maxBytes,
        partial,
        true,
        Duration.ofSeconds(5),
        false,
        403,
        true,
        true,
        true,
        Duration.ofSeconds(5),
        false,
        List.of("envoy.filters.http.ext_authz"),
        false);
  }

  @AfterEach
  void stop() {
    if (envoy != null) {
      envoy.close();
    }
    channel.shutdownNow();
    grpc.shutdownNow();
    upstream.stop(0);
  }

  private HttpResponse<String> post(String path, String body, String... headers) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(envoy.baseUrl().replace("/v1", "") + path))
            .POST(HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static CheckResponse ok() {
    return CheckResponse.newBuilder().setStatus(Status.newBuilder().setCode(Code.OK_VALUE)).build();
  }

  @Test
  void case1CheckShape() throws Exception {
    emulator(settings(8192, true));
    authz.set(r -> ok());
    post("/v1/chat/completions?a=1", "{}", "x-a", "1", "x-a", "2");
    var http = checks.peek().getAttributes().getRequest().getHttp();
    assertEquals("/v1/chat/completions?a=1", http.getPath());
    assertEquals("POST", http.getHeadersMap().get(":method"));
    assertTrue(http.getHeadersMap().containsKey(":authority"));
    assertEquals("1,2", http.getHeadersMap().get("x-a"));
    assertTrue(http.getId().matches("[0-9]+"));
    assertEquals("HTTP/1.1", http.getProtocol());
    assertEquals(2, http.getSize());
    assertTrue(checks.peek().getAttributes().getRequest().getTime().getSeconds() > 0);
    var source = checks.peek().getAttributes().getSource().getAddress().getSocketAddress();
    var destination =
        checks.peek().getAttributes().getDestination().getAddress().getSocketAddress();
    assertEquals("127.0.0.1", source.getAddress(), "the downstream peer");
    assertTrue(source.getPortValue() > 0);
    assertEquals(
        envoy.baseUrl(),
        "http://127.0.0.1:" + destination.getPortValue() + "/v1",
        "the listener's address");
  }

  @Test
  void case2PartialBodyAnd413() throws Exception {
    emulator(settings(16, true));
    authz.set(r -> ok());
    String body = "x".repeat(100);
    assertEquals(200, post("/v1/chat/completions", body).statusCode());
    var http = checks.peek().getAttributes().getRequest().getHttp();
    assertEquals(16, http.getRawBody().size());
    assertTrue(http.getBody().isEmpty());
    assertEquals("true", http.getHeadersMap().get("x-envoy-auth-partial-body"));
    envoy.close();
    checks.clear();
    emulator(settings(16, false));
    assertEquals(413, post("/v1/chat/completions", body).statusCode());
    assertTrue(checks.isEmpty(), "no Check for a body over the limit");
  }

  @Test
  @SuppressWarnings("deprecation")
  void case3AllowAndOverwrite() throws Exception {
    emulator(settings(8192, true));
    authz.set(
        r ->
            CheckResponse.newBuilder()
                .setStatus(Status.newBuilder().setCode(0))
                .setOkResponse(
                    OkHttpResponse.newBuilder()
                        .addHeaders(
                            HeaderValueOption.newBuilder()
                                .setHeader(
                                    HeaderValue.newBuilder().setKey("x-tenant").setValue("t1"))
                                .setAppend(BoolValue.of(false)))
                        .addAllHeadersToRemove(List.of("authorization", ":path", "host")))
                .build());
    post("/v1/chat/completions", "{}", "x-tenant", "client", "authorization", "Bearer k");
    Map<String, List<String>> h = upstreamHeaders.peek();
    assertEquals(List.of("t1"), h.get("X-tenant"));
    assertNull(h.get("Authorization"));
    assertEquals("/v1/chat/completions", upstreamPaths.peek());
  }

  @Test
  @SuppressWarnings("deprecation")
  void appendSemanticsFollowTheEnvoyVersion() throws Exception {
    HeaderValueOption unset =
        HeaderValueOption.newBuilder()
            .setHeader(HeaderValue.newBuilder().setKey("x-unset").setValue("server"))
            .build();
    HeaderValueOption appendTrue =
        HeaderValueOption.newBuilder()
            .setHeader(HeaderValue.newBuilder().setKey("x-true").setValue("server"))
            .setAppend(BoolValue.of(true))
            .build();
    HeaderValueOption ifAbsent =
        HeaderValueOption.newBuilder()
            .setHeader(HeaderValue.newBuilder().setKey("x-absent").setValue("server"))
            .setAppendAction(HeaderValueOption.HeaderAppendAction.ADD_IF_ABSENT)
            .build();
    authz.set(
        r ->
            CheckResponse.newBuilder()
                .setStatus(Status.newBuilder().setCode(0))
                .setOkResponse(
                    OkHttpResponse.newBuilder()
                        .addHeaders(unset)
                        .addHeaders(appendTrue)
                        .addHeaders(ifAbsent))
                .build());
    String[] client = {"x-unset", "client", "x-true", "client", "x-absent", "client"};

    emulator(settings(8192, true));
    post("/v1/chat/completions", "{}", client);
    Map<String, List<String>> newest = upstreamHeaders.poll();
    assertEquals(
        List.of("client", "server"),
        newest.get("X-unset"),
        "newest: append unset → APPEND_IF_EXISTS_OR_ADD");
    assertEquals(List.of("client", "server"), newest.get("X-true"));
    assertEquals(List.of("client"), newest.get("X-absent"));
    envoy.close();

    emulator(settings(8192, true).withLegacy(true));
    post("/v1/chat/completions", "{}", client);
    Map<String, List<String>> legacy = upstreamHeaders.poll();
    assertEquals(
        List.of("server"), legacy.get("X-unset"), "1.32 and older: append unset overwrites");
    assertEquals(
        List.of("client,server"),
        legacy.get("X-true"),
        "1.32 and older: append true comma-appends");
  }

  @Test
  void case4DenyWithAndWithoutABody() throws Exception {
    emulator(settings(8192, true));
    authz.set(
        r ->
            CheckResponse.newBuilder()
                .setStatus(Status.newBuilder().setCode(Code.PERMISSION_DENIED_VALUE))
                .setDeniedResponse(
                    DeniedHttpResponse.newBuilder()
                        .setStatus(HttpStatus.newBuilder().setCode(StatusCode.TooManyRequests))
                        .addHeaders(
                            HeaderValueOption.newBuilder()
                                .setHeader(
                                    HeaderValue.newBuilder().setKey("retry-after").setValue("7")))
                        .setBody("{\"error\":{}}"))
                .build());
    HttpResponse<String> r = post("/v1/chat/completions", "{}");
    assertEquals(429, r.statusCode());
    assertEquals("7", r.headers().firstValue("retry-after").orElseThrow());
    assertEquals("{\"error\":{}}", r.body());
    authz.set(
        req ->
            CheckResponse.newBuilder()
                .setStatus(Status.newBuilder().setCode(Code.PERMISSION_DENIED_VALUE))
                .build());
    HttpResponse<String> d = post("/v1/chat/completions", "{}");
    assertEquals(403, d.statusCode());
    assertTrue(d.body().isEmpty());
    assertTrue(upstreamPaths.isEmpty(), "the upstream is never called on deny");
  }

  @Test
  void case5AuthzFailureUsesStatusOnError() throws Exception {
    emulator(
        new EmulatorSettings(
            8192,
            true,
            true,
            Duration.ofSeconds(5),
            false,
            503,
            true,
            true,
            true,
            Duration.ofSeconds(5),
            false,
            List.of("envoy.filters.http.ext_authz"),
            false));
    authz.set(null); // UNAVAILABLE
    assertEquals(503, post("/v1/chat/completions", "{}").statusCode());
    assertTrue(upstreamPaths.isEmpty());
  }

  @Test
  void case6MetadataBridge() throws Exception {
    emulator(settings(8192, true));
    authz.set(
        r ->
            CheckResponse.newBuilder()
                .setStatus(Status.newBuilder().setCode(0))
                .setDynamicMetadata(
                    Struct.newBuilder()
                        .putFields("tenant", Value.newBuilder().setStringValue("t1").build()))
                .build());
    post("/v1/chat/completions", "{}");
    assertFalse(procMessages.isEmpty());
    for (ProcessingRequest m : procMessages) {
      assertEquals(
          "t1",
          m.getMetadataContext()
              .getFilterMetadataOrThrow("envoy.filters.http.ext_authz")
              .getFieldsOrThrow("tenant")
              .getStringValue(),
          m.getRequestCase().name());
    }
  }
}
