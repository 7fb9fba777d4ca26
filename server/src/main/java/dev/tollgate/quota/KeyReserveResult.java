package dev.tollgate.quota;

import java.time.Duration;
import java.util.List;

/** The result of a {@link QuotaStore} reservation against one quota key: granted or refused. */
public sealed interface KeyReserveResult {

  /** Every window of the key, as seen by this reservation (after it, when granted). */
  List<WindowStatus> windows();

  /**
   * The charge was added to every window.
   *
   * @param windows the windows after the reservation
   */
  record Granted(List<WindowStatus> windows) implements KeyReserveResult {
    public Granted {
      windows = List.copyOf(windows);
    }
  }

  /**
   * At least one window has no room; nothing was changed.
   *
   * @param binding the window that refused (the one with the longest wait when several do)
   * @param retryAfter how long until the charge would fit, if usage stayed as it is
   * @param neverFits true when the charge is larger than the whole limit
   * @param windows every window, unchanged
   */
  record Refused(
      WindowStatus binding, Duration retryAfter, boolean neverFits, List<WindowStatus> windows)
      implements KeyReserveResult {
    public Refused {
      windows = List.copyOf(windows);
    }
  }
}
