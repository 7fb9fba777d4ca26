package dev.tollgate.quota;

/** What became of a settlement or release. */
public enum Settlement {
  /** The reservation was held and is now settled (or released): this call counted. */
  SETTLED,
  /**
   * No such reservation is held: already settled or released, expired, or never made. Nothing
   * changed.
   */
  NOT_HELD
}
