package dev.tollgate.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import dev.tollgate.Fixtures;
import dev.tollgate.TestConfigs;
import dev.tollgate.envoy.extproc.ExtProcStreams;
import dev.tollgate.testsupport.EnvoyChecks;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Requests through a Tollgate as Envoy makes them, so that its labelled series exist: allowed and
 * refused Checks, and ext_proc streams that settle or refund their reservation.
 */
public final class MetricsTraffic {
  /** A chat request for gpt-4o: 14 prompt tokens, 200 output tokens reserved. */
  public static final String SF_CHAT =
      "{\"model\":\"gpt-4o\",\"max_tokens\":200,\"messages\":[{\"role\":\"user\","
          + "\"content\":\"What's the weather like in SF?\"}]}";

  private static final String CHAT = "/v1/chat/completions";

  private MetricsTraffic() {}

  /** An allowed Check of {@link #SF_CHAT} for {@code user}: the metadata Envoy forwards. */
  public static Struct allowed(ManagedChannel channel, String user) {
    CheckResponse r = check(channel, TestConfigs.SERVICE_KEY, user, SF_CHAT);
    assertEquals(0, r.getStatus().getCode(), r.toString());
    return r.getDynamicMetadata();
  }

  /** A Check with {@code key} as the service key; returns Tollgate's answer. */
  public static CheckResponse check(ManagedChannel channel, String key, String user, String body) {
    return AuthorizationGrpc.newBlockingStub(channel)
        .check(
            EnvoyChecks.post(CHAT).bearer(key).header("x-on-behalf-of", user).json(body).build());
  }

  /**
   * The streamed answer with usage (14 prompt and 30 completion tokens) through ext_proc; returns
   * once the stream is closed.
   */
  public static void settle(ManagedChannel channel, Struct md) throws Exception {
    ExtProcStreams s = new ExtProcStreams(md);
    byte[] sse =
        Files.readAllBytes(Fixtures.path("chat_completions/stream_include_usage_captured.sse"));
    run(
        channel,
        List.of(
            s.requestHeaders(CHAT, false),
            s.responseHeaders(200, "text/event-stream; charset=utf-8", null, false),
            s.responseBody(sse, false),
            s.responseBody(new byte[0], true)));
  }

  /** A 500 answer through ext_proc (the reservation is refunded); returns once it is closed. */
  public static void refund(ManagedChannel channel, Struct md) throws Exception {
    ExtProcStreams s = new ExtProcStreams(md);
    run(
        channel,
        List.of(
            s.requestHeaders(CHAT, false),
            s.responseHeaders(500, "application/json", null, false),
            s.responseBody("{}".getBytes(StandardCharsets.UTF_8), true)));
  }

  /** Sends one ext_proc stream, a reply awaited after each message, then closes it. */
  public static void run(ManagedChannel channel, List<ProcessingRequest> messages)
      throws Exception {
    java.util.concurrent.LinkedBlockingQueue<ProcessingResponse> replies =
        new java.util.concurrent.LinkedBlockingQueue<>();
    CountDownLatch closed = new CountDownLatch(1);
    StreamObserver<ProcessingRequest> in =
        ExternalProcessorGrpc.newStub(channel)
            .process(
                new StreamObserver<>() {
                  @Override
                  public void onNext(ProcessingResponse value) {
                    replies.add(value);
                  }

                  @Override
                  public void onError(Throwable t) {
                    closed.countDown();
                  }

                  @Override
                  public void onCompleted() {
                    closed.countDown();
                  }
                });
    List<ProcessingResponse> out = new ArrayList<>();
    for (ProcessingRequest m : messages) {
      in.onNext(m);
      ProcessingResponse r = replies.poll(5, TimeUnit.SECONDS);
      assertTrue(r != null, "a reply to " + m.getRequestCase());
      out.add(r);
    }
    in.onCompleted();
    assertTrue(closed.await(5, TimeUnit.SECONDS), "the stream closes");
  }

  /** {@code GET /metrics} of the HTTP port on 127.0.0.1. */
  public static String scrape(int httpPort) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/metrics"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return r.body();
  }
}
