package dev.tollgate.deploy;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each rule of {@link EnvoyGatewayManifestsTest} holds on {@code k8s/envoy-gateway} as shipped and
 * fails once the defect it is about is put into one of its files: a rule that cannot fail protects
 * nothing. The strict readers are shown failing too (a misspelled or unsupported field).
 */
class EnvoyGatewayDefectsTest {

  @FunctionalInterface
  interface Rule {
    void check(EnvoyGatewayManifestsTest t) throws Exception;
  }

  record Defect(
      String what,
      String file,
      UnaryOperator<JsonNode> put,
      UnaryOperator<String> config,
      Rule rule) {
    @Override
    public String toString() {
      return what;
    }
  }

  static Defect file(String what, String file, UnaryOperator<JsonNode> put, Rule rule) {
    return new Defect(what, file, put, null, rule);
  }

  static Defect config(String what, UnaryOperator<String> put, Rule rule) {
    return new Defect(what, null, null, put, rule);
  }

  /** Sets a field of the object at a JSON pointer. */
  static UnaryOperator<JsonNode> set(String pointer, String field, Object value) {
    return n -> {
      ObjectNode o = (ObjectNode) n.at(pointer);
      o.set(field, EnvoyGatewayManifestsTest.YAML.valueToTree(value));
      return n;
    };
  }

  static UnaryOperator<JsonNode> remove(String pointer, String field) {
    return n -> {
      ((ObjectNode) n.at(pointer)).remove(field);
      return n;
    };
  }

  static Stream<Defect> defects() {
    String extAuth = "securitypolicy-ext-authz.yaml";
    String extProc = "envoyextensionpolicy-ext-proc.yaml";
    String ctp = "clienttrafficpolicy.yaml";
    String route = "httproute.yaml";
    return Stream.of(
        file(
            "extAuth body limit differs from envoy.yaml's max_request_bytes",
            extAuth,
            set("/spec/extAuth/bodyToExtAuth", "maxRequestBytes", 4194304),
            EnvoyGatewayManifestsTest::extAuthBodyLimitIsEnvoyYamlsAndFitsTollgatesMessages),
        config(
            "Tollgate's max_inbound_message_bytes below the extAuth body",
            s ->
                s.replace(
                    "max_inbound_message_bytes: 8650752", "max_inbound_message_bytes: 8388608"),
            EnvoyGatewayManifestsTest::extAuthBodyLimitIsEnvoyYamlsAndFitsTollgatesMessages),
        file(
            "listener buffer below the extAuth body limit",
            ctp,
            set("/spec/connection", "bufferLimit", "1Mi"),
            EnvoyGatewayManifestsTest::listenerBufferHoldsWhatTheCheckAllows),
        file(
            "no ClientTrafficPolicy buffer",
            ctp,
            remove("/spec", "connection"),
            EnvoyGatewayManifestsTest::listenerBufferHoldsWhatTheCheckAllows),
        file(
            "extAuth fails open",
            extAuth,
            set("/spec/extAuth", "failOpen", true),
            EnvoyGatewayManifestsTest::extAuthFailsClosedAndCallsTollgate),
        file(
            "extAuth failOpen left to its default",
            extAuth,
            remove("/spec/extAuth", "failOpen"),
            EnvoyGatewayManifestsTest::extAuthFailsClosedAndCallsTollgate),
        file(
            "extAuth timeout at Envoy Gateway's default",
            extAuth,
            remove("/spec/extAuth", "timeout"),
            EnvoyGatewayManifestsTest::extAuthFailsClosedAndCallsTollgate),
        file(
            "extAuth on Tollgate's metrics port",
            extAuth,
            set("/spec/extAuth/grpc/backendRefs/0", "port", 8081),
            EnvoyGatewayManifestsTest::extAuthFailsClosedAndCallsTollgate),
        file(
            "extProc does not forward the ext_authz namespace",
            extProc,
            set(
                "/spec/extProc/0/metadata",
                "accessibleNamespaces",
                new String[] {"envoy.filters.http.jwt_authn"}),
            EnvoyGatewayManifestsTest::extProcCarriesTheReservationAndNeverBreaksAResponse),
        file(
            "extProc response body buffered",
            extProc,
            set("/spec/extProc/0/processingMode/response", "body", "Buffered"),
            EnvoyGatewayManifestsTest::extProcCarriesTheReservationAndNeverBreaksAResponse),
        file(
            "extProc fails closed",
            extProc,
            set("/spec/extProc/0", "failOpen", false),
            EnvoyGatewayManifestsTest::extProcCarriesTheReservationAndNeverBreaksAResponse),
        file(
            "the route injects no upstream key",
            route,
            n -> {
              ArrayNode filters = (ArrayNode) n.at("/spec/rules/0/filters");
              for (int i = filters.size() - 1; i >= 0; i--) {
                if (filters.get(i).path("type").asText().equals("ExtensionRef")) {
                  filters.remove(i);
                }
              }
              return n;
            },
            EnvoyGatewayManifestsTest::theUpstreamKeyReachesNeitherTollgateNorExtProc),
        file(
            "credential injection keeps what the client sent",
            "httproutefilter-credential.yaml",
            set("/spec/credentialInjection", "overwrite", false),
            EnvoyGatewayManifestsTest::theUpstreamKeyReachesNeitherTollgateNorExtProc),
        file(
            "the upstream key's Secret still a volume of Tollgate's pods",
            "deployment-no-upstream-key.yaml",
            n -> {
              ((ArrayNode) n.at("/spec/template/spec/volumes")).removeAll();
              return n;
            },
            EnvoyGatewayManifestsTest::theUpstreamKeyReachesNeitherTollgateNorExtProc),
        file(
            "route timeout at 5 minutes",
            route,
            set("/spec/rules/0/timeouts", "request", "300s"),
            EnvoyGatewayManifestsTest::routesToTheApiAskForUncompressedBodiesAndDoNotCutLongCalls),
        file(
            "route timeout left to Envoy's 15s",
            route,
            remove("/spec/rules/0", "timeouts"),
            EnvoyGatewayManifestsTest::routesToTheApiAskForUncompressedBodiesAndDoNotCutLongCalls),
        file(
            "stream idle timeout left to Envoy's 5 minutes",
            ctp,
            remove("/spec", "timeout"),
            EnvoyGatewayManifestsTest::routesToTheApiAskForUncompressedBodiesAndDoNotCutLongCalls),
        file(
            "accept-encoding kept",
            route,
            set(
                "/spec/rules/0/filters/0/requestHeaderModifier",
                "remove",
                new String[] {"x-unused"}),
            EnvoyGatewayManifestsTest::routesToTheApiAskForUncompressedBodiesAndDoNotCutLongCalls),
        file(
            "backend TLS checks another name",
            "backendtlspolicy-openai.yaml",
            set("/spec/validation", "hostname", "example.com"),
            EnvoyGatewayManifestsTest::theUpstreamCertificateAndItsNameAreChecked),
        file(
            "no BackendTLSPolicy for the Backend",
            "backendtlspolicy-openai.yaml",
            set("/spec/targetRefs/0", "name", "other"),
            EnvoyGatewayManifestsTest::theUpstreamCertificateAndItsNameAreChecked),
        file(
            "policy targets a route that does not exist",
            extAuth,
            set("/spec/targetRefs/0", "name", "openai-typo"),
            EnvoyGatewayManifestsTest::policiesAndReferencesResolve),
        file(
            "plaintext listener",
            "gateway.yaml",
            n -> {
              ((ObjectNode) n.at("/spec/listeners/0")).put("protocol", "HTTP");
              return n;
            },
            EnvoyGatewayManifestsTest::policiesAndReferencesResolve),
        file(
            "upstream circuit breakers at the defaults",
            "backendtrafficpolicy-openai.yaml",
            set("/spec/circuitBreaker", "maxParallelRequests", 1024),
            EnvoyGatewayManifestsTest::circuitBreakersAreRaised),
        file(
            "gRPC from every pod of Envoy Gateway's namespace",
            "networkpolicy-gateway.yaml",
            remove("/0/value/0", "podSelector"),
            EnvoyGatewayManifestsTest::grpcIsAdmittedOnlyFromNamedPodsInNamedNamespaces),
        file(
            "gRPC from another Gateway's proxies",
            "networkpolicy-gateway.yaml",
            set(
                "/0/value/0/podSelector/matchLabels",
                EnvoyGatewayManifestsTest.OWNING_GATEWAY_NAME,
                "other"),
            EnvoyGatewayManifestsTest::grpcIsAdmittedOnlyFromThisGatewaysProxies),
        config(
            "Tollgate injects the key",
            s -> s.replace("  injected_by: envoy", "  injected_by: tollgate\n  api_key: sk-test"),
            EnvoyGatewayManifestsTest::configIsTheBaseConfigButForTheUpstreamKey));
  }

  static EnvoyGatewayManifestsTest loaded(Defect d) throws Exception {
    EnvoyGatewayManifestsTest t = new EnvoyGatewayManifestsTest();
    if (d != null && d.file() != null) {
      t.defects.put(d.file(), d.put());
    }
    if (d != null && d.config() != null) {
      t.configDefect = d.config();
    }
    t.load();
    return t;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("defects")
  void ruleFailsOnItsDefect(Defect d) throws Exception {
    assertDoesNotThrow(() -> d.rule().check(loaded(null)), "holds as shipped");
    EnvoyGatewayManifestsTest t = loaded(d);
    assertThrows(AssertionError.class, () -> d.rule().check(t), d.what());
  }

  record Unknown(String what, String file, UnaryOperator<JsonNode> put, String named) {
    @Override
    public String toString() {
      return what;
    }
  }

  static Stream<Unknown> unknownFields() {
    return Stream.of(
        new Unknown(
            "misspelled extAuth field",
            "securitypolicy-ext-authz.yaml",
            set("/spec/extAuth", "failopen", false),
            "failopen"),
        new Unknown(
            "ext_proc forward rules (not in Envoy Gateway's API)",
            "envoyextensionpolicy-ext-proc.yaml",
            set("/spec/extProc/0", "forwardRules", new String[] {"content-type"}),
            "forwardRules"),
        new Unknown(
            "allowPartialMessage (not in Envoy Gateway's API)",
            "securitypolicy-ext-authz.yaml",
            set("/spec/extAuth/bodyToExtAuth", "allowPartialMessage", true),
            "allowPartialMessage"),
        new Unknown(
            "unknown body mode",
            "envoyextensionpolicy-ext-proc.yaml",
            set("/spec/extProc/0/processingMode/request", "body", "BUFFERED"),
            "BUFFERED"),
        new Unknown(
            "misspelled HTTPRoute field",
            "httproute.yaml",
            set("/spec/rules/0/timeouts", "requests", "900s"),
            "requests"),
        new Unknown(
            "misspelled BackendTLSPolicy field",
            "backendtlspolicy-openai.yaml",
            set("/spec/validation", "wellKnownCACertificate", "System"),
            "wellKnownCACertificate"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("unknownFields")
  void strictReadersRefuseFieldsOutsideTheApi(Unknown u) {
    Throwable e =
        assertThrows(
            Throwable.class,
            () -> loaded(new Defect(u.what(), u.file(), u.put(), null, t -> {})),
            u.what());
    assertTrue(String.valueOf(e.getMessage()).contains(u.named()), u.what() + ": " + e);
  }
}
