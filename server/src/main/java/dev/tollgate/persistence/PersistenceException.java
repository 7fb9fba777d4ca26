package dev.tollgate.persistence;

/** The database cannot be opened, migrated, read or written. Its message names no secret. */
public final class PersistenceException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public PersistenceException(String message, Throwable cause) {
    super(message, cause);
  }
}
