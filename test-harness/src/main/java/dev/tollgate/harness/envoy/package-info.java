/**
 * An Envoy emulator: an HTTP/1.1 front that calls Tollgate as Envoy's ext_authz and ext_proc
 * filters do (ENVOY.md), forwards to an upstream and streams the response back.
 */
package dev.tollgate.harness.envoy;
