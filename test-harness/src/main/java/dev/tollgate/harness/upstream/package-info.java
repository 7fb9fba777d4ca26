/** A mock OpenAI-compatible upstream for end-to-end tests, the demo and the benchmark. */
package dev.tollgate.harness.upstream;
