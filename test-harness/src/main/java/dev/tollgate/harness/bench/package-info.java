/**
 * {@code ./tollgate bench}: a load generator that speaks to Tollgate as Envoy does, a no-op
 * baseline server on the same transport, each in its own JVM, and the cases and reports of the
 * benchmark.
 */
package dev.tollgate.harness.bench;
