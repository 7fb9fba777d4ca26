package dev.tollgate;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The shape of the server module, as rules over its compiled classes: the domain packages are plain
 * Java (no gRPC, Envoy, protobuf, Hazelcast, Netty or Prometheus type), and no package depends on
 * one above it: quota, tokens, response and stats at the bottom, then config, auth, accounting,
 * alerts, admission (and analytics, beside them: over config and the ledger), then the adapters
 * (envoy, admin, hazelcast), then the wiring in {@code dev.tollgate}.
 */
class ArchitectureTest {
  private static final String[] DOMAIN = {
    "dev.tollgate.quota",
    "dev.tollgate.ledger..",
    "dev.tollgate.tokens..",
    "dev.tollgate.response..",
    "dev.tollgate.config..",
    "dev.tollgate.auth..",
    "dev.tollgate.accounting..",
    "dev.tollgate.alerts..",
    "dev.tollgate.admission..",
    "dev.tollgate.analytics..",
    "dev.tollgate.stats.."
  };
  private static JavaClasses classes;

  @BeforeAll
  static void load() {
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.tollgate");
  }

  @AfterAll
  static void release() {
    classes =
        null; // every test class shares one JVM: do not hold the import for the rest of the run
  }

  @Test
  void domainPackagesImportNoTransportOrStoreType() {
    noClasses()
        .that()
        .resideInAnyPackage(DOMAIN)
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "io.grpc..",
            "io.envoyproxy..",
            "com.google.protobuf..",
            "com.google.rpc..",
            "com.hazelcast..",
            "io.netty..",
            "io.prometheus..")
        .because(
            "the domain is plain Java; the Envoy services and the Hazelcast store only translate")
        .check(classes);
  }

  @Test
  void noPackageDependsOnOneAboveIt() {
    layeredArchitecture()
        .consideringOnlyDependenciesInLayers()
        .layer("core")
        .definedBy(
            "dev.tollgate.quota",
            "dev.tollgate.ledger..",
            "dev.tollgate.tokens..",
            "dev.tollgate.response..",
            "dev.tollgate.stats..")
        .layer("config")
        .definedBy("dev.tollgate.config..")
        .layer("auth")
        .definedBy("dev.tollgate.auth..")
        .layer("accounting")
        .definedBy("dev.tollgate.accounting..")
        .layer("alerts")
        .definedBy("dev.tollgate.alerts..")
        .layer("admission")
        .definedBy("dev.tollgate.admission..")
        .layer("analytics")
        .definedBy("dev.tollgate.analytics..")
        .layer("adapters")
        .definedBy("dev.tollgate.envoy..", "dev.tollgate.admin..", "dev.tollgate.hazelcast..")
        .layer("wiring")
        .definedBy("dev.tollgate")
        .whereLayer("wiring")
        .mayNotBeAccessedByAnyLayer()
        .whereLayer("adapters")
        .mayOnlyBeAccessedByLayers("wiring")
        .whereLayer("admission")
        .mayOnlyBeAccessedByLayers("adapters", "wiring")
        .whereLayer("analytics")
        .mayOnlyBeAccessedByLayers("adapters", "wiring")
        .whereLayer("alerts")
        .mayOnlyBeAccessedByLayers("admission", "adapters", "wiring")
        .whereLayer("accounting")
        .mayOnlyBeAccessedByLayers("admission", "adapters", "wiring")
        .whereLayer("auth")
        .mayOnlyBeAccessedByLayers("accounting", "admission", "adapters", "wiring")
        .whereLayer("config")
        .mayOnlyBeAccessedByLayers(
            "auth", "accounting", "alerts", "admission", "analytics", "adapters", "wiring")
        .check(classes);
  }
}
