/**
 * Token counting with jtokkit, plain Java: {@link dev.tollgate.tokens.Encodings} (the tokenizers,
 * loaded at start-up, and which one a model uses) and {@link dev.tollgate.tokens.RequestCounter}
 * (one pass over a request body: prompt tokens as OpenAI counts them, output limits, streaming
 * flags, identity fields), and {@link dev.tollgate.tokens.ResponseUsage} (a response's usage for
 * accounting, read chunk by chunk in bounded memory: JSON bodies scanned as they pass, SSE parsed
 * incrementally, decoded bodies in small pieces, buffers drawn from a shared
 * {@link dev.tollgate.tokens.BufferBudget}, the provider's numbers checked before they are believed).
 *
 * <p>Counts are exactly tiktoken's for text; {@code o200k_base} is counted by Tollgate's own
 * splitter and merge loop (same results as jtokkit, about five times faster), the other
 * encodings by jtokkit.
 */
package dev.tollgate.tokens;
