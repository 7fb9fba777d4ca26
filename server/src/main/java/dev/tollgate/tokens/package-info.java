/**
 * Token counting with jtokkit: encodings per model, request counters per API kind, and (for
 * accounting) usage and SSE parsers. Plain Java.
 */
package dev.tollgate.tokens;
