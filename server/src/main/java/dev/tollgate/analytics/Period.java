package dev.tollgate.analytics;

import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.temporal.TemporalAdjusters;

/** How usage is grouped: a UTC day, an ISO week (Monday to Sunday) or a calendar month. */
public enum Period {
  DAY,
  WEEK,
  MONTH;

  /** The first day of the period holding {@code d}. */
  public LocalDate start(LocalDate d) {
    return switch (this) {
      case DAY -> d;
      case WEEK -> d.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
      case MONTH -> d.withDayOfMonth(1);
    };
  }

  /** The last day of the period holding {@code d}. */
  public LocalDate end(LocalDate d) {
    return switch (this) {
      case DAY -> d;
      case WEEK -> start(d).plusDays(6);
      case MONTH -> d.withDayOfMonth(d.lengthOfMonth());
    };
  }
}
