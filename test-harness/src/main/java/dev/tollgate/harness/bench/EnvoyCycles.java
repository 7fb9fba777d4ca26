package dev.tollgate.harness.bench;

import com.google.protobuf.ByteString;
import dev.tollgate.harness.envoy.EmulatorSettings;
import dev.tollgate.harness.envoy.EnvoyMessages;
import dev.tollgate.testsupport.EnvoyChecks;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The request cycles Envoy drives for one HTTP request: a Check (with the configured check timeout
 * as its deadline), and for streamed cases the ext_proc stream after an allowed Check — request
 * headers, the BUFFERED request body if the filter asks for it, response headers, then the SSE
 * chunks as the upstream delivers them (sent without waiting, as Envoy's STREAMED mode does), each
 * answered by exactly one reply in order.
 */
final class EnvoyCycles {
  static final String PATH = "/v1/chat/completions";

  /**
   * The upstream's answer to a streamed request (content-length removed, as STREAMED mode does).
   */
  private static final List<String[]> RESPONSE_HEADERS =
      List.of(
          new String[] {":status", "200"},
          new String[] {"content-type", "text/event-stream"},
          new String[] {"x-request-id", "bench"});

  private static final InetSocketAddress PEER =
      new InetSocketAddress(InetAddress.getLoopbackAddress(), 43210);
  private static final InetSocketAddress LISTENER =
      new InetSocketAddress(InetAddress.getLoopbackAddress(), 10000);

  private final EmulatorSettings settings;
  private final List<AuthorizationGrpc.AuthorizationStub> authz = new ArrayList<>();
  private final List<ExternalProcessorGrpc.ExternalProcessorStub> proc = new ArrayList<>();
  private final String serviceKey;

  EnvoyCycles(EmulatorSettings settings, List<ManagedChannel> channels, String serviceKey) {
    this.settings = settings;
    this.serviceKey = serviceKey;
    for (ManagedChannel c : channels) {
      authz.add(AuthorizationGrpc.newStub(c));
      proc.add(ExternalProcessorGrpc.newStub(c));
    }
  }

  /** The cycle for a workload: its bodies in turn, its users in turn. */
  LoadGenerator.Cycle cycle(Workload w, List<ByteString> bodies, List<ByteString> sseChunks) {
    return cycle(w, Traffic.spread(bodies), sseChunks);
  }

  /** The cycle for a workload: request {@code seq} is the traffic's body and user {@code seq}. */
  LoadGenerator.Cycle cycle(Workload w, Traffic traffic, List<ByteString> sseChunks) {
    return (seq, done) -> {
      int conn = (int) (seq % authz.size());
      ByteString body = traffic.body(seq);
      List<String[]> headers =
          List.of(
              new String[] {"host", "api.openai.com"},
              new String[] {"content-type", "application/json"},
              new String[] {"content-length", Integer.toString(body.size())},
              new String[] {"authorization", "Bearer " + serviceKey},
              new String[] {"x-on-behalf-of", traffic.user(seq)},
              new String[] {"x-request-id", "bench-" + seq},
              new String[] {"user-agent", "OpenAI/Java 4.x"});
      CheckRequest req =
          EnvoyMessages.check(settings, seq, "POST", PATH, headers, body, PEER, LISTENER);
      long t0 = System.nanoTime();
      authz
          .get(conn)
          .withDeadlineAfter(settings.checkTimeout().toNanos(), TimeUnit.NANOSECONDS)
          .check(
              req,
              new StreamObserver<>() {
                private CheckResponse response;

                @Override
                public void onNext(CheckResponse value) {
                  response = value;
                }

                @Override
                public void onError(Throwable t) {
                  done.finished("Check failed: " + Status.fromThrowable(t));
                }

                @Override
                public void onCompleted() {
                  if (response.getStatus().getCode() != 0) {
                    done.finished(
                        "Check denied: HTTP "
                            + response.getDeniedResponse().getStatus().getCodeValue()
                            + " "
                            + response.getDeniedResponse().getBody());
                  } else if (!w.streamed) {
                    done.finished(null);
                  } else {
                    Metadata md =
                        EnvoyMessages.forwarded(
                            settings,
                            response.getDynamicMetadata(),
                            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
                    List<ProcessingRequest> first = new ArrayList<>(3);
                    first.add(
                        EnvoyMessages.headers(
                            md,
                            false,
                            EnvoyChecks.withPseudoHeaders("POST", PATH, headers),
                            false));
                    if (settings.requestBodyBuffered()) {
                      first.add(EnvoyMessages.body(md, false, body, true));
                    }
                    first.add(EnvoyMessages.headers(md, true, RESPONSE_HEADERS, false));
                    List<ProcessingRequest> chunks = new ArrayList<>(sseChunks.size());
                    for (int i = 0; i < sseChunks.size(); i++) {
                      chunks.add(
                          EnvoyMessages.body(
                              md, true, sseChunks.get(i), i == sseChunks.size() - 1));
                    }
                    new Stream(proc.get(conn), first, chunks, done).begin();
                  }
                }
              });
    };
  }

  /** One ext_proc stream: header phase one message at a time, then the body chunks pipelined. */
  private static final class Stream implements StreamObserver<ProcessingResponse> {
    private final List<ProcessingRequest> first;
    private final List<ProcessingRequest> chunks;
    private final LoadGenerator.Done done;
    private final ExternalProcessorGrpc.ExternalProcessorStub stub;
    private StreamObserver<ProcessingRequest> out;
    private int replies;
    private boolean finished;

    Stream(
        ExternalProcessorGrpc.ExternalProcessorStub stub,
        List<ProcessingRequest> first,
        List<ProcessingRequest> chunks,
        LoadGenerator.Done done) {
      this.stub = stub;
      this.first = first;
      this.chunks = chunks;
      this.done = done;
    }

    synchronized void begin() {
      out = stub.process(this);
      out.onNext(first.get(0));
    }

    private ProcessingRequest sent(int i) {
      return i < first.size() ? first.get(i) : chunks.get(i - first.size());
    }

    @Override
    public synchronized void onNext(ProcessingResponse reply) {
      if (finished) {
        return;
      }
      ProcessingRequest asked = sent(replies);
      if (!reply.getResponseCase().name().equals(asked.getRequestCase().name())) {
        finish("ext_proc replied " + reply.getResponseCase() + " to " + asked.getRequestCase());
        out.onError(Status.CANCELLED.withDescription("spurious reply").asRuntimeException());
        return;
      }
      replies++;
      if (replies < first.size()) {
        out.onNext(first.get(replies));
      } else if (replies == first.size()) {
        chunks.forEach(out::onNext);
      } else if (replies == first.size() + chunks.size()) {
        out.onCompleted();
        finish(null);
      }
    }

    @Override
    public synchronized void onError(Throwable t) {
      finish("ext_proc stream failed: " + Status.fromThrowable(t));
    }

    @Override
    public synchronized void onCompleted() {
      if (replies < first.size() + chunks.size()) {
        finish("ext_proc stream closed after " + replies + " replies");
      }
    }

    private void finish(String error) {
      if (!finished) {
        finished = true;
        done.finished(error);
      }
    }
  }
}
