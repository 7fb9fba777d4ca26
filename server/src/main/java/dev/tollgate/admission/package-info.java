/**
 * The admission pipeline behind ext_authz: route, service key, body, identity, model policy, token
 * count, quota reservation, decision. Plain Java; {@code envoy.authz} translates.
 */
package dev.tollgate.admission;
