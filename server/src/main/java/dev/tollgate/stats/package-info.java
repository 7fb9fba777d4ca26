/**
 * What Tollgate measures about itself, as plain Java: counters by label values and fixed-bucket
 * histograms, cheap enough for every Check (a few {@link java.util.concurrent.atomic.LongAdder}
 * increments, no allocation once a label combination has been seen). The admin adapter exports them
 * to Prometheus; the domain never sees a Prometheus type.
 */
package dev.tollgate.stats;
