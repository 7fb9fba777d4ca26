/**
 * Tollgate's configuration: one YAML file parsed once into immutable records and validated at
 * start-up. Every error names the file, the key path and what was expected; unknown keys are
 * errors; secrets never appear in {@code toString}, logs or errors.
 *
 * <p>{@link dev.tollgate.config.ConfigLoader} only orchestrates: each section has a reader ({@code
 * ServerReader}, {@code StoreReader}, ...) that declares the keys it reads ({@code SectionKeys}),
 * which both reject unknown keys and make up {@link dev.tollgate.config.ConfigLoader#SCHEMA};
 * defaults are constants on the records ({@code ServerConfig.DEFAULTS}, ...).
 *
 * <p>A running server reloads: {@link dev.tollgate.config.ConfigWatcher} reads the files again when
 * they change and {@link dev.tollgate.config.LiveConfig} swaps the new configuration in whole, with
 * everything built from it; what only a restart can change keeps its running value.
 */
package dev.tollgate.config;
