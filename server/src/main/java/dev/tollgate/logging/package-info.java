/**
 * How Tollgate's log lines are written: {@link dev.tollgate.logging.LogEncoder}, the encoder the
 * shipped {@code logback.xml} uses, writes text or JSON lines ({@code server.log_format}).
 */
package dev.tollgate.logging;
