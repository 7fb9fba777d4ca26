package dev.tollgate;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code SIGHUP} → an action, through {@code sun.misc.Signal} when the JVM has it (reached by
 * reflection: on a JVM without it, or where the signal is taken, nothing happens but a log line).
 */
final class Hangup {
  private static final Logger LOG = LoggerFactory.getLogger(Hangup.class);

  private Hangup() {}

  /** Runs {@code action} on each SIGHUP; false when signals cannot be handled here. */
  static boolean install(Runnable action) {
    try {
      Class<?> signal = Class.forName("sun.misc.Signal");
      Class<?> handler = Class.forName("sun.misc.SignalHandler");
      InvocationHandler call =
          (Object proxy, Method m, Object[] args) -> {
            if (m.getName().equals("handle")) {
              try {
                action.run();
              } catch (RuntimeException e) {
                LOG.warn("config.reload_failed: SIGHUP: {}", e.toString());
              }
              return null;
            }
            return switch (m.getName()) {
              case "hashCode" -> System.identityHashCode(proxy);
              case "equals" -> proxy == args[0];
              default -> "SIGHUP handler";
            };
          };
      Object h =
          Proxy.newProxyInstance(Hangup.class.getClassLoader(), new Class<?>[] {handler}, call);
      Object hup = signal.getConstructor(String.class).newInstance("HUP");
      signal.getMethod("handle", signal, handler).invoke(null, hup, h);
      return true;
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      LOG.info("config.sighup_unavailable: {}; file changes still reload", e.toString());
      return false;
    }
  }
}
