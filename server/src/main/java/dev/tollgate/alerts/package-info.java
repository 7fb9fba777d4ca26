/**
 * Alerts: when a quota key crosses a configured fraction of one of its limits, or an operational
 * event happens, a message to each configured webhook. Crossings are seen on the Check path at no
 * cost unless a threshold is reached; deduplication, formatting, signing and delivery happen off
 * it. Plain Java: the cluster-wide deduplication is behind {@link dev.tollgate.alerts.SentAlerts}.
 */
package dev.tollgate.alerts;
