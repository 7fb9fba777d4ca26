/**
 * Stand-ins for the world around Tollgate: an Envoy emulator, a mock OpenAI upstream and a load
 * generator.
 */
package dev.tollgate.harness;
