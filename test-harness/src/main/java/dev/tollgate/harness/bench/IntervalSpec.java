package dev.tollgate.harness.bench;

/**
 * One interval the load generator runs against one server: what the parent process sends the
 * generator's process, as one JSON line.
 *
 * @param workload the case's id ({@code a} ... {@code e})
 * @param port the server's gRPC port on loopback
 * @param serverPid the server's process, whose CPU time is read at the interval's start and end
 * @param openLoop a fixed {@code rate} (true) or {@code inFlight} requests always in flight
 * @param rate requests per second of an open loop
 * @param inFlight requests in flight of a closed loop (an open loop allows 20 times as many)
 * @param connections HTTP/2 connections to the server, opened on its first interval
 * @param settleMillis load before the measured interval, not counted
 * @param millis the measured interval
 */
record IntervalSpec(
    String workload,
    int port,
    long serverPid,
    boolean openLoop,
    double rate,
    int inFlight,
    int connections,
    long settleMillis,
    long millis) {}
