/**
 * Tollgate's configuration: one YAML file parsed once into immutable records and validated at
 * start-up. Every error names the file, the key path and what was expected; unknown keys are
 * errors; secrets never appear in {@code toString}, logs or errors.
 */
package dev.tollgate.config;
