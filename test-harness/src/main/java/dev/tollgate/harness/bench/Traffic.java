package dev.tollgate.harness.bench;

import com.google.protobuf.ByteString;
import java.util.List;

/** A case's requests by sequence number: the body sent and the end user it is sent for. */
interface Traffic {
  /** The body of request {@code seq}. */
  ByteString body(long seq);

  /** The end user (the {@code x-on-behalf-of} header) of request {@code seq}. */
  String user(long seq);

  /** The bodies in turn, the requests spread over {@link Workload#USERS} users in turn. */
  static Traffic spread(List<ByteString> bodies) {
    return new Traffic() {
      @Override
      public ByteString body(long seq) {
        return bodies.get((int) (seq % bodies.size()));
      }

      @Override
      public String user(long seq) {
        return "user-" + (seq % Workload.USERS);
      }
    };
  }

  /** The bodies in turn, every request for one user. */
  static Traffic oneUser(List<ByteString> bodies, String user) {
    return new Traffic() {
      @Override
      public ByteString body(long seq) {
        return bodies.get((int) (seq % bodies.size()));
      }

      @Override
      public String user(long seq) {
        return user;
      }
    };
  }
}
