/**
 * {@code ./tollgate demo}: Tollgate, the Envoy emulator and a mock OpenAI upstream on loopback, and
 * a short session with the official OpenAI Java SDK that shows what Tollgate does, then a usage
 * phase (simulated users, generated ledger rows) and the admin API's usage report and advice.
 */
package dev.tollgate.harness.demo;
