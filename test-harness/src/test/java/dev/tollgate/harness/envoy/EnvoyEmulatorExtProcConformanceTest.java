package dev.tollgate.harness.envoy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.rpc.Code;
import com.google.rpc.Status;
import com.sun.net.httpserver.HttpServer;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.HeaderForwardingRules;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.HeadersResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ImmediateResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.TrailersResponse;
import io.envoyproxy.envoy.type.matcher.v3.ListStringMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import io.envoyproxy.envoy.type.v3.StatusCode;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** ENVOY.md §6 cases 7–10: the emulator's ext_proc side against a scripted processor. */
class EnvoyEmulatorExtProcConformanceTest {
  private static final HttpClient CLIENT = HttpClient.newHttpClient();

  /** What the scripted processor does with one message: a reply, or one of the strings below. */
  private final AtomicReference<Function<ProcessingRequest, Object>> script =
      new AtomicReference<>();

  private static final String SILENCE = "silence";
  private static final String CLOSE_OK = "close";
  private static final String FAIL_INTERNAL = "internal";

  private final ConcurrentLinkedQueue<ProcessingRequest> messages = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<Map<String, List<String>>> upstreamHeaders =
      new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<String> upstreamBodies = new ConcurrentLinkedQueue<>();
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
                    out.onNext(
                        CheckResponse.newBuilder()
                            .setStatus(Status.newBuilder().setCode(Code.OK_VALUE))
                            .build());
                    out.onCompleted();
                  }
                })
            .addService(
                new ExternalProcessorGrpc.ExternalProcessorImplBase() {
                  @Override
                  public StreamObserver<ProcessingRequest> process(
                      StreamObserver<ProcessingResponse> out) {
                    return new StreamObserver<>() {
                      private boolean closed;

                      @Override
                      public void onNext(ProcessingRequest r) {
                        messages.add(r);
                        if (closed) {
                          return;
                        }
                        Object what = script.get().apply(r);
                        if (what instanceof ProcessingResponse p) {
                          out.onNext(p);
                        } else if (CLOSE_OK.equals(what)) {
                          closed = true;
                          out.onCompleted();
                        } else if (FAIL_INTERNAL.equals(what)) {
                          closed = true;
                          out.onError(io.grpc.Status.INTERNAL.asRuntimeException());
                        }
                      }

                      @Override
                      public void onError(Throwable t) {}

                      @Override
                      public void onCompleted() {
                        if (!closed) {
                          out.onCompleted();
                        }
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
          upstreamBodies.add(
              new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
          ex.getResponseHeaders().set("content-type", "text/event-stream");
          ex.sendResponseHeaders(200, 0);
          OutputStream out = ex.getResponseBody();
          for (int i = 0; i < 5; i++) {
            out.write(("data: " + i + "\n\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            try {
              Thread.sleep(30);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          ex.close();
        });
    upstream.start();
    // generous timeouts for a loaded machine; case 10 still sees its silence hit the message
    // timeout
    envoy =
        EnvoyEmulator.start(
            0,
            new EmulatorSettings(
                8192,
                true,
                true,
                Duration.ofSeconds(5),
                false,
                403,
                true,
                true,
                true,
                Duration.ofMillis(1500),
                false,
                List.of("envoy.filters.http.ext_authz"),
                false),
            channel,
            URI.create("http://127.0.0.1:" + upstream.getAddress().getPort()));
  }

  @AfterEach
  void stop() {
    envoy.close();
    channel.shutdownNow();
    grpc.shutdownNow();
    upstream.stop(0);
  }

  static ProcessingResponse cont(ProcessingRequest r) {
    ProcessingResponse.Builder b = ProcessingResponse.newBuilder();
    switch (r.getRequestCase()) {
      case REQUEST_HEADERS -> b.setRequestHeaders(HeadersResponse.getDefaultInstance());
      case REQUEST_BODY -> b.setRequestBody(BodyResponse.getDefaultInstance());
      case RESPONSE_HEADERS -> b.setResponseHeaders(HeadersResponse.getDefaultInstance());
      case RESPONSE_BODY -> b.setResponseBody(BodyResponse.getDefaultInstance());
      default -> b.setResponseTrailers(TrailersResponse.getDefaultInstance());
    }
    return b.build();
  }

  static HeaderValueOption header(String key, String value, String raw) {
    HeaderValue.Builder h = HeaderValue.newBuilder().setKey(key);
    if (value != null) {
      h.setValue(value);
    }
    if (raw != null) {
      h.setRawValue(ByteString.copyFromUtf8(raw));
    }
    return HeaderValueOption.newBuilder().setHeader(h).build();
  }

  private HttpResponse<String> post(String body) throws Exception {
    return CLIENT.send(
        HttpRequest.newBuilder(URI.create(envoy.baseUrl() + "/chat/completions"))
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void case7HeaderMutationEncoding() throws Exception {
    script.set(
        r ->
            r.hasRequestHeaders()
                ? ProcessingResponse.newBuilder()
                    .setRequestHeaders(
                        HeadersResponse.newBuilder()
                            .setResponse(
                                CommonResponse.newBuilder()
                                    .setHeaderMutation(
                                        HeaderMutation.newBuilder()
                                            .addSetHeaders(header("x-raw", null, "r1"))
                                            .addSetHeaders(header("x-value-only", "v1", null))
                                            .addSetHeaders(header("x-envoy-foo", null, "no"))
                                            .addSetHeaders(
                                                header(":authority", null, "evil.example")))))
                    .build()
                : cont(r));
    assertEquals(200, post("{}").statusCode());
    Map<String, List<String>> h = upstreamHeaders.peek();
    assertEquals(List.of("r1"), h.get("X-raw"));
    assertEquals(
        List.of(""), h.get("X-value-only"), "value without raw_value gives an empty header");
    assertFalse(h.containsKey("X-envoy-foo"));
    script.set(
        r ->
            r.hasRequestHeaders()
                ? ProcessingResponse.newBuilder()
                    .setRequestHeaders(
                        HeadersResponse.newBuilder()
                            .setResponse(
                                CommonResponse.newBuilder()
                                    .setHeaderMutation(
                                        HeaderMutation.newBuilder()
                                            .addSetHeaders(header("x-both", "a", "b")))))
                    .build()
                : cont(r));
    assertEquals(500, post("{}").statusCode(), "value and raw_value both set");
  }

  @Test
  void aSpuriousReplyFailsTheRequestOnTheNewestEnvoyAndIsIgnoredOnOldOnes() throws Exception {
    // a response_headers reply to the request_headers message
    script.set(
        r ->
            r.hasRequestHeaders()
                ? ProcessingResponse.newBuilder()
                    .setResponseHeaders(
                        HeadersResponse.newBuilder()
                            .setResponse(
                                CommonResponse.newBuilder()
                                    .setHeaderMutation(
                                        HeaderMutation.newBuilder()
                                            .addSetHeaders(header("x-spurious", null, "yes")))))
                    .build()
                : cont(r));
    assertEquals(500, post("{}").statusCode());
    assertTrue(upstreamHeaders.isEmpty(), "the request never reached the upstream");

    EmulatorSettings legacy =
        new EmulatorSettings(
            8192,
            true,
            true,
            Duration.ofSeconds(5),
            false,
            403,
            true,
            true,
            true,
            Duration.ofMillis(1500),
            false,
            List.of("envoy.filters.http.ext_authz"),
            true);
    envoy.close();
    envoy =
        EnvoyEmulator.start(
            0, legacy, channel, URI.create("http://127.0.0.1:" + upstream.getAddress().getPort()));
    messages.clear();
    HttpResponse<String> r = post("{}");
    assertEquals(200, r.statusCode());
    assertEquals(
        "data: 0\n\ndata: 1\n\ndata: 2\n\ndata: 3\n\ndata: 4\n\n",
        r.body(),
        "traffic continues unmodified");
    assertFalse(
        upstreamHeaders.peek().containsKey("X-spurious"),
        "the spurious reply's mutation is not applied");
    assertEquals(1, messages.size(), "the processor gets no more messages for this request");
  }

  @Test
  void forwardRulesDecideWhichHeadersTheProcessorIsSent() throws Exception {
    script.set(EnvoyEmulatorExtProcConformanceTest::cont);
    envoy.close();
    envoy =
        EnvoyEmulator.start(
            0,
            new EmulatorSettings(
                    8192,
                    true,
                    true,
                    Duration.ofSeconds(5),
                    false,
                    403,
                    true,
                    true,
                    true,
                    Duration.ofMillis(1500),
                    false,
                    List.of("envoy.filters.http.ext_authz"),
                    false)
                .withForwardRules(
                    HeaderForwardingRules.newBuilder()
                        .setAllowedHeaders(
                            ListStringMatcher.newBuilder()
                                .addPatterns(StringMatcher.newBuilder().setExact(":status"))
                                .addPatterns(StringMatcher.newBuilder().setExact("content-type"))
                                .addPatterns(StringMatcher.newBuilder().setPrefix("x-")))
                        .setDisallowedHeaders(
                            ListStringMatcher.newBuilder()
                                .addPatterns(StringMatcher.newBuilder().setExact("x-secret")))
                        .build()),
            channel,
            URI.create("http://127.0.0.1:" + upstream.getAddress().getPort()));
    HttpResponse<String> r =
        CLIENT.send(
            HttpRequest.newBuilder(URI.create(envoy.baseUrl() + "/chat/completions"))
                .header("authorization", "Bearer sk-upstream")
                .header("content-type", "application/json")
                .header("x-kept", "1")
                .header("x-secret", "2")
                .POST(HttpRequest.BodyPublishers.ofString("{}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    ProcessingRequest requestHeaders =
        messages.stream().filter(ProcessingRequest::hasRequestHeaders).findFirst().orElseThrow();
    List<String> sent =
        requestHeaders.getRequestHeaders().getHeaders().getHeadersList().stream()
            .map(HeaderValue::getKey)
            .sorted()
            .toList();
    assertEquals(
        List.of("content-type", "x-kept"),
        sent,
        "allowed minus disallowed; pseudo-headers filtered alike");
    ProcessingRequest responseHeaders =
        messages.stream().filter(ProcessingRequest::hasResponseHeaders).findFirst().orElseThrow();
    assertEquals(
        List.of(":status", "content-type"),
        responseHeaders.getResponseHeaders().getHeaders().getHeadersList().stream()
            .map(HeaderValue::getKey)
            .sorted()
            .toList());
    Map<String, List<String>> up = upstreamHeaders.peek();
    assertEquals(
        List.of("Bearer sk-upstream"),
        up.get("Authorization"),
        "a header not sent to the processor still goes upstream");
    assertEquals(List.of("2"), up.get("X-secret"));
  }

  @Test
  void case8BufferedRequestBodyIsReplaced() throws Exception {
    script.set(
        r ->
            r.hasRequestBody()
                ? ProcessingResponse.newBuilder()
                    .setRequestBody(
                        BodyResponse.newBuilder()
                            .setResponse(
                                CommonResponse.newBuilder()
                                    .setBodyMutation(
                                        BodyMutation.newBuilder()
                                            .setBody(
                                                ByteString.copyFromUtf8("{\"replaced\":true}")))))
                    .build()
                : cont(r));
    assertEquals(200, post("{\"original\":true}").statusCode());
    Iterator<ProcessingRequest> it = messages.iterator();
    ProcessingRequest first = it.next();
    assertTrue(first.hasRequestHeaders());
    assertFalse(first.getRequestHeaders().getEndOfStream());
    ProcessingRequest second = it.next();
    assertTrue(second.hasRequestBody());
    assertTrue(second.getRequestBody().getEndOfStream());
    assertEquals("{\"original\":true}", second.getRequestBody().getBody().toStringUtf8());
    assertEquals("{\"replaced\":true}", upstreamBodies.peek());
  }

  @Test
  void case9StreamedResponseOneMessagePerReadLastEndOfStream() throws Exception {
    script.set(EnvoyEmulatorExtProcConformanceTest::cont);
    HttpResponse<String> r = post("{}");
    assertEquals(200, r.statusCode());
    assertTrue(r.body().contains("data: 4"));
    List<ProcessingRequest> bodies = new ArrayList<>();
    for (ProcessingRequest m : messages) {
      if (m.hasResponseHeaders()) {
        for (HeaderValue h : m.getResponseHeaders().getHeaders().getHeadersList()) {
          assertFalse(h.getKey().equals("content-length"), "STREAMED: no content-length");
        }
      }
      if (m.hasResponseBody()) {
        bodies.add(m);
      }
    }
    assertTrue(bodies.size() >= 2, "one message per upstream read: " + bodies.size());
    assertTrue(bodies.get(bodies.size() - 1).getResponseBody().getEndOfStream());
    String all =
        bodies.stream()
            .map(b -> b.getResponseBody().getBody().toStringUtf8())
            .reduce("", String::concat);
    assertEquals("data: 0\n\ndata: 1\n\ndata: 2\n\ndata: 3\n\ndata: 4\n\n", all);
  }

  @Test
  void case10Lifecycle() throws Exception {
    // ImmediateResponse on request headers: the client gets it, the upstream is not called
    script.set(
        r ->
            r.hasRequestHeaders()
                ? ProcessingResponse.newBuilder()
                    .setImmediateResponse(
                        ImmediateResponse.newBuilder()
                            .setStatus(HttpStatus.newBuilder().setCode(StatusCode.Forbidden))
                            .setBody(ByteString.copyFromUtf8("no")))
                    .build()
                : cont(r));
    HttpResponse<String> immediate = post("{}");
    assertEquals(403, immediate.statusCode());
    assertEquals("no", immediate.body());
    assertTrue(upstreamBodies.isEmpty());
    // silence past the message timeout: 504
    script.set(r -> SILENCE);
    assertEquals(504, post("{}").statusCode());
    // OK-close before any reply: processing ends, the request continues unmodified
    script.set(r -> CLOSE_OK);
    assertEquals(200, post("{}").statusCode());
    // gRPC INTERNAL: 500
    script.set(r -> FAIL_INTERNAL);
    assertEquals(500, post("{}").statusCode());
  }
}
