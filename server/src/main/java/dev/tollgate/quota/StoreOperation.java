package dev.tollgate.quota;

/**
 * The {@code operation} label of the store call metrics: the {@link QuotaStore} method called, in
 * snake case.
 */
public final class StoreOperation {
  /** {@link QuotaStore#reserve}: one quota key's share of a reservation. */
  public static final String RESERVE = "reserve";

  /** {@link QuotaStore#hold}: a granted reservation kept for its settlement. */
  public static final String HOLD = "hold";

  /** {@link QuotaStore#take}: a settlement or release claims its reservation. */
  public static final String TAKE = "take";

  /** {@link QuotaStore#adjust}: a key's usage moved from the reserved to the actual charge. */
  public static final String ADJUST = "adjust";

  /** {@link QuotaStore#takeExpired}: the expiry sweep. */
  public static final String TAKE_EXPIRED = "take_expired";

  /** {@link QuotaStore#status}: a key's windows (admin API). */
  public static final String STATUS = "status";

  /** {@link QuotaStore#reset}: a key's usage forgotten (admin API). */
  public static final String RESET = "reset";

  /** Every operation, exported before its first call. */
  static final String[] NAMES = {RESERVE, HOLD, TAKE, ADJUST, TAKE_EXPIRED, STATUS, RESET};

  private StoreOperation() {}
}
