package dev.tollgate.harness.demo;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Remembers the dynamic metadata of the last ext_authz Check answer on the emulator's channel: what
 * Tollgate decided and reserved for a request (Envoy would hand it to ext_proc; clients never see
 * it). The session sends one request at a time (the usage phase, several, does not read it).
 */
final class CheckRecorder implements ClientInterceptor {
  private final AtomicReference<Struct> last = new AtomicReference<>(Struct.getDefaultInstance());

  @Override
  public <Q, R> ClientCall<Q, R> interceptCall(
      MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
    ClientCall<Q, R> call = next.newCall(method, options);
    if (!method
        .getFullMethodName()
        .equals(AuthorizationGrpc.getCheckMethod().getFullMethodName())) {
      return call;
    }
    return new ForwardingClientCall.SimpleForwardingClientCall<>(call) {
      @Override
      public void start(Listener<R> listener, Metadata headers) {
        super.start(
            new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
              @Override
              public void onMessage(R message) {
                if (message instanceof CheckResponse r) {
                  last.set(r.getDynamicMetadata());
                }
                super.onMessage(message);
              }
            },
            headers);
      }
    };
  }

  /** Forgets the last answer (before a request). */
  void clear() {
    last.set(Struct.getDefaultInstance());
  }

  /** A number from the last answer's metadata, or -1. */
  long number(String key) {
    Value v = last.get().getFieldsMap().get(key);
    return v == null || !v.hasNumberValue() ? -1 : (long) v.getNumberValue();
  }

  /** A string from the last answer's metadata, or null. */
  String string(String key) {
    Value v = last.get().getFieldsMap().get(key);
    return v == null || !v.hasStringValue() ? null : v.getStringValue();
  }
}
