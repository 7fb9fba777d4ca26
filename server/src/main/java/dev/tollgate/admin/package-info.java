/** Operations: metrics, HTTP readiness, and the admin gRPC API. */
package dev.tollgate.admin;
