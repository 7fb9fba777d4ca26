/**
 * {@code ./tollgate demo}: Tollgate, the Envoy emulator and a mock OpenAI upstream on loopback, and
 * a short session with the official OpenAI Java SDK that shows what Tollgate does.
 */
package dev.tollgate.harness.demo;
