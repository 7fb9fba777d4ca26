/**
 * What the server's tests and the test harness share: {@link dev.tollgate.testsupport.EnvoyChecks}
 * builds the CheckRequests Envoy's ext_authz filter sends (for the server's tests and for the
 * harness's Envoy emulator and load generator alike), {@link dev.tollgate.testsupport.FreePorts}
 * finds free loopback ports, and {@link dev.tollgate.testsupport.RepoRoot} names the repository's
 * root, which the build passes as the system property {@code tollgate.root}. It depends on Envoy's
 * API and protobuf only, never on the server.
 */
package dev.tollgate.testsupport;
