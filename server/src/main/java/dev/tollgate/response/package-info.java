/**
 * The response side, plain Java: what an upstream answer used, read chunk by chunk in bounded
 * memory while the answer passes. {@link dev.tollgate.response.ResponseUsage} is the entry point
 * (one per answer): JSON bodies scanned as they pass ({@code JsonBodyScanner}), Server-Sent Events
 * parsed incrementally ({@link dev.tollgate.response.SseParser}), gzip and deflate decoded in small
 * pieces ({@link dev.tollgate.response.BodyDecoder}), buffers drawn from a shared {@link
 * dev.tollgate.response.BufferBudget}, the provider's numbers checked before they are believed
 * ({@code ProviderUsage}). The result is a {@link dev.tollgate.response.Usage}; what happened on
 * the way (a usage refused or clamped, an SSE line or event dropped, the buffer budget exhausted)
 * is a {@link dev.tollgate.response.ResponseEvent}.
 */
package dev.tollgate.response;
