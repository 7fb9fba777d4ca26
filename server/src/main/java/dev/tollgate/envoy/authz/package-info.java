/** ext_authz adapter: CheckRequest → {@code Admission} → CheckResponse. */
package dev.tollgate.envoy.authz;
