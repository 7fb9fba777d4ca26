package dev.tollgate.harness.bench;

import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.envoyproxy.envoy.service.auth.v3.OkHttpResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.HeadersResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The baseline: a gRPC server that allows every Check and answers every ext_proc message with an
 * empty reply of the matching kind. It runs on the same transport as Tollgate (the same Netty
 * builder settings and the same kind of executor), so the benchmark's ratio is Tollgate's work.
 */
final class NoopServer implements AutoCloseable {
  private static final CheckResponse OK =
      CheckResponse.newBuilder()
          .setStatus(com.google.rpc.Status.newBuilder().setCode(0))
          .setOkResponse(OkHttpResponse.getDefaultInstance())
          .build();
  private static final ProcessingResponse REQUEST_HEADERS =
      ProcessingResponse.newBuilder()
          .setRequestHeaders(HeadersResponse.getDefaultInstance())
          .build();
  private static final ProcessingResponse REQUEST_BODY =
      ProcessingResponse.newBuilder().setRequestBody(BodyResponse.getDefaultInstance()).build();
  private static final ProcessingResponse RESPONSE_HEADERS =
      ProcessingResponse.newBuilder()
          .setResponseHeaders(HeadersResponse.getDefaultInstance())
          .build();
  private static final ProcessingResponse RESPONSE_BODY =
      ProcessingResponse.newBuilder().setResponseBody(BodyResponse.getDefaultInstance()).build();

  private final Server server;
  private final ExecutorService executor;

  private NoopServer(Server server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  static NoopServer start(NettyServerBuilder builder, ExecutorService executor) throws IOException {
    Server s =
        builder
            .executor(executor)
            .addService(
                new AuthorizationGrpc.AuthorizationImplBase() {
                  @Override
                  public void check(CheckRequest request, StreamObserver<CheckResponse> out) {
                    out.onNext(OK);
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
                      public void onNext(ProcessingRequest m) {
                        out.onNext(
                            switch (m.getRequestCase()) {
                              case REQUEST_HEADERS -> REQUEST_HEADERS;
                              case REQUEST_BODY -> REQUEST_BODY;
                              case RESPONSE_HEADERS -> RESPONSE_HEADERS;
                              case RESPONSE_BODY -> RESPONSE_BODY;
                              default -> ProcessingResponse.getDefaultInstance();
                            });
                      }

                      @Override
                      public void onError(Throwable t) {
                        // the client went away: nothing to clean up
                      }

                      @Override
                      public void onCompleted() {
                        out.onCompleted();
                      }
                    };
                  }
                })
            .build()
            .start();
    return new NoopServer(s, executor);
  }

  int port() {
    return server.getPort();
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    executor.shutdownNow();
  }
}
