package dev.tollgate.quota;

import java.time.Duration;

/**
 * The state of one limit of one quota key at a moment.
 *
 * @param limit the limit
 * @param used units counted in the window now
 * @param remaining {@code max(0, limit.max - used)}
 * @param resetIn time until everything counted now has rolled off (sliding) or the period ends
 *     (calendar month)
 */
public record WindowStatus(Limit limit, long used, long remaining, Duration resetIn) {}
