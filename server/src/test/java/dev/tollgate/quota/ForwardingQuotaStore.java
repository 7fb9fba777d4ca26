package dev.tollgate.quota;

import java.util.List;
import java.util.concurrent.CompletionStage;

/** A store that passes every call to another; tests override the calls they change. */
public class ForwardingQuotaStore implements QuotaStore {
  private final QuotaStore d;

  public ForwardingQuotaStore(QuotaStore d) {
    this.d = d;
  }

  @Override
  public CompletionStage<KeyReserveResult> reserve(
      String key, List<Limit> limits, Charge charge, long now, boolean e) {
    return d.reserve(key, limits, charge, now, e);
  }

  @Override
  public CompletionStage<Void> adjust(String key, Charge r, Charge a, long at, long now) {
    return d.adjust(key, r, a, at, now);
  }

  @Override
  public CompletionStage<List<WindowStatus>> status(String key, List<Limit> limits, long now) {
    return d.status(key, limits, now);
  }

  @Override
  public CompletionStage<Void> reset(String key) {
    return d.reset(key);
  }

  @Override
  public CompletionStage<Void> hold(Reservation r, long expiresAt, long now) {
    return d.hold(r, expiresAt, now);
  }

  @Override
  public CompletionStage<Reservation> take(String id) {
    return d.take(id);
  }

  @Override
  public List<Reservation> takeExpired(long now) {
    return d.takeExpired(now);
  }

  @Override
  public long heldCount() {
    return d.heldCount();
  }

  @Override
  public void close() {
    d.close();
  }
}
