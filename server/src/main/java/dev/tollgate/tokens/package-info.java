/**
 * Token counting with jtokkit, plain Java: {@link dev.tollgate.tokens.Encodings} (the tokenizers,
 * loaded at start-up, and which one a model uses) and {@link dev.tollgate.tokens.PromptCounter}
 * (one pass over a request body: prompt tokens as OpenAI counts them, output limits, streaming
 * flags, identity fields).
 *
 * <p>Behind {@code PromptCounter}, package-private: a JSON cursor that tolerates a body cut short
 * ({@code JsonCursor}), one reader per API behind {@code ApiReader} (chat completions, responses,
 * completions, embeddings), tools and JSON schemas ({@code ToolSchemas}), media estimates ({@code
 * MediaParts}) and the OpenAI cookbook's counting constants in one place ({@code Cookbook}).
 *
 * <p>Counts are exactly tiktoken's for text; {@code o200k_base} is counted by Tollgate's own
 * splitter and merge loop (same results as jtokkit, about five times faster), the other encodings
 * by jtokkit. The response side (usage read from the upstream's answer) is in {@link
 * dev.tollgate.response}.
 */
package dev.tollgate.tokens;
