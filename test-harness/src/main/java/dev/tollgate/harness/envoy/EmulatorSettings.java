package dev.tollgate.harness.envoy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.extensions.access_loggers.stream.v3.StdoutAccessLog;
import io.envoyproxy.envoy.extensions.filters.http.credential_injector.v3.CredentialInjector;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.HeaderForwardingRules;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.http.injected_credentials.generic.v3.Generic;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.type.matcher.v3.ListStringMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The filter settings the emulator follows, read from an Envoy bootstrap in {@code envoy/} (one
 * source of truth with what operators deploy).
 *
 * @param maxRequestBytes ext_authz {@code with_request_body.max_request_bytes} (0: no body sent)
 * @param allowPartialMessage ext_authz {@code allow_partial_message}
 * @param packAsBytes ext_authz {@code pack_as_bytes}
 * @param checkTimeout ext_authz gRPC timeout
 * @param failureModeAllow ext_authz {@code failure_mode_allow}
 * @param statusOnError ext_authz {@code status_on_error}
 * @param extProc whether an ext_proc filter follows
 * @param requestBodyBuffered ext_proc request body mode BUFFERED (else NONE)
 * @param responseBodyStreamed ext_proc response body mode STREAMED (else BUFFERED)
 * @param messageTimeout ext_proc {@code message_timeout}
 * @param extProcFailureModeAllow ext_proc {@code failure_mode_allow}
 * @param forwardedNamespaces ext_proc {@code metadata_options.forwarding_namespaces.untyped}
 * @param legacy behave as Envoy 1.32 and older: an ext_authz header with {@code append} unset or
 *     false overwrites and with {@code append: true} is comma-appended to an existing value; an
 *     ext_proc reply of the wrong kind makes Envoy ignore the processor for the rest of the
 *     request. Otherwise (the newest Envoy): {@code append} unset falls back to {@code
 *     append_action} (default: add a duplicate header), and a wrong-kind reply is an error (500, or
 *     continue with the processor's {@code failure_mode_allow}).
 * @param forwardRules ext_proc {@code forward_rules}: which request and response headers the
 *     processor is sent (unset: all of them)
 */
public record EmulatorSettings(
    int maxRequestBytes,
    boolean allowPartialMessage,
    boolean packAsBytes,
    Duration checkTimeout,
    boolean failureModeAllow,
    int statusOnError,
    boolean extProc,
    boolean requestBodyBuffered,
    boolean responseBodyStreamed,
    Duration messageTimeout,
    boolean extProcFailureModeAllow,
    List<String> forwardedNamespaces,
    boolean legacy,
    HeaderForwardingRules forwardRules) {

  /** Every {@code @type} the bootstraps in {@code envoy/} use, so that any of them can be read. */
  private static final JsonFormat.TypeRegistry TYPES =
      JsonFormat.TypeRegistry.newBuilder()
          .add(HttpConnectionManager.getDescriptor())
          .add(ExtAuthz.getDescriptor())
          .add(ExternalProcessor.getDescriptor())
          .add(Router.getDescriptor())
          .add(UpstreamTlsContext.getDescriptor())
          .add(HttpProtocolOptions.getDescriptor())
          .add(StdoutAccessLog.getDescriptor())
          .add(JwtAuthentication.getDescriptor())
          .add(CredentialInjector.getDescriptor())
          .add(Generic.getDescriptor())
          .build();

  /** Settings whose ext_proc filter is sent every header (no {@code forward_rules}). */
  public EmulatorSettings(
      int maxRequestBytes,
      boolean allowPartialMessage,
      boolean packAsBytes,
      Duration checkTimeout,
      boolean failureModeAllow,
      int statusOnError,
      boolean extProc,
      boolean requestBodyBuffered,
      boolean responseBodyStreamed,
      Duration messageTimeout,
      boolean extProcFailureModeAllow,
      List<String> forwardedNamespaces,
      boolean legacy) {
    this(
        maxRequestBytes,
        allowPartialMessage,
        packAsBytes,
        checkTimeout,
        failureModeAllow,
        statusOnError,
        extProc,
        requestBodyBuffered,
        responseBodyStreamed,
        messageTimeout,
        extProcFailureModeAllow,
        forwardedNamespaces,
        legacy,
        HeaderForwardingRules.getDefaultInstance());
  }

  /** The same settings with these ext_proc {@code forward_rules}. */
  public EmulatorSettings withForwardRules(HeaderForwardingRules rules) {
    return new EmulatorSettings(
        maxRequestBytes,
        allowPartialMessage,
        packAsBytes,
        checkTimeout,
        failureModeAllow,
        statusOnError,
        extProc,
        requestBodyBuffered,
        responseBodyStreamed,
        messageTimeout,
        extProcFailureModeAllow,
        forwardedNamespaces,
        legacy,
        rules);
  }

  /**
   * Whether ext_proc sends the processor this header, as Envoy decides it: a header matching {@code
   * disallowed_headers} is not sent; else, with {@code allowed_headers} set, only a header matching
   * it is sent (Envoy's {@code MutationUtils::headerCanBeForwarded}; pseudo-headers alike).
   */
  public boolean forwardsToProcessor(String header) {
    if (forwardRules.hasDisallowedHeaders()
        && matches(forwardRules.getDisallowedHeaders(), header)) {
      return false;
    }
    return !forwardRules.hasAllowedHeaders() || matches(forwardRules.getAllowedHeaders(), header);
  }

  private static boolean matches(ListStringMatcher list, String header) {
    for (StringMatcher m : list.getPatternsList()) {
      String v = m.getIgnoreCase() ? header.toLowerCase(Locale.ROOT) : header;
      boolean hit =
          switch (m.getMatchPatternCase()) {
            case EXACT ->
                v.equals(m.getIgnoreCase() ? m.getExact().toLowerCase(Locale.ROOT) : m.getExact());
            case PREFIX ->
                v.startsWith(
                    m.getIgnoreCase() ? m.getPrefix().toLowerCase(Locale.ROOT) : m.getPrefix());
            case SUFFIX ->
                v.endsWith(
                    m.getIgnoreCase() ? m.getSuffix().toLowerCase(Locale.ROOT) : m.getSuffix());
            case CONTAINS ->
                v.contains(
                    m.getIgnoreCase() ? m.getContains().toLowerCase(Locale.ROOT) : m.getContains());
            case SAFE_REGEX -> header.matches(m.getSafeRegex().getRegex());
            default ->
                throw new IllegalArgumentException("forward_rules matcher not emulated: " + m);
          };
      if (hit) {
        return true;
      }
    }
    return false;
  }

  /**
   * The same settings with other timeouts (tests on a loaded machine scale Envoy's 200–250 ms
   * timeouts up where the timeout itself is not what they test).
   */
  public EmulatorSettings withTimeouts(Duration check, Duration message) {
    return new EmulatorSettings(
        maxRequestBytes,
        allowPartialMessage,
        packAsBytes,
        check,
        failureModeAllow,
        statusOnError,
        extProc,
        requestBodyBuffered,
        responseBodyStreamed,
        message,
        extProcFailureModeAllow,
        forwardedNamespaces,
        legacy,
        forwardRules);
  }

  /** The same settings, behaving as Envoy 1.32 and older ({@code true}) or as the newest Envoy. */
  public EmulatorSettings withLegacy(boolean legacyEnvoy) {
    return new EmulatorSettings(
        maxRequestBytes,
        allowPartialMessage,
        packAsBytes,
        checkTimeout,
        failureModeAllow,
        statusOnError,
        extProc,
        requestBodyBuffered,
        responseBodyStreamed,
        messageTimeout,
        extProcFailureModeAllow,
        forwardedNamespaces,
        legacyEnvoy,
        forwardRules);
  }

  /** Reads the first HTTP connection manager's ext_authz and ext_proc filters of a bootstrap. */
  public static EmulatorSettings fromBootstrap(Path yaml) throws IOException {
    JsonNode tree = new ObjectMapper(new YAMLFactory()).readTree(yaml.toFile());
    Bootstrap.Builder b = Bootstrap.newBuilder();
    JsonFormat.parser()
        .usingTypeRegistry(TYPES)
        .merge(new ObjectMapper().writeValueAsString(tree), b);
    HttpConnectionManager hcm =
        b.getStaticResources()
            .getListeners(0)
            .getFilterChains(0)
            .getFilters(0)
            .getTypedConfig()
            .unpack(HttpConnectionManager.class);
    ExtAuthz authz = null;
    ExternalProcessor proc = null;
    for (HttpFilter f : hcm.getHttpFiltersList()) {
      if (f.getTypedConfig().is(ExtAuthz.class)) {
        authz = f.getTypedConfig().unpack(ExtAuthz.class);
      } else if (f.getTypedConfig().is(ExternalProcessor.class)) {
        proc = f.getTypedConfig().unpack(ExternalProcessor.class);
      }
    }
    if (authz == null) {
      throw new IOException(yaml + ": no ext_authz filter");
    }
    var body = authz.getWithRequestBody();
    Duration checkTimeout =
        authz.getGrpcService().hasTimeout()
            ? Duration.ofSeconds(
                authz.getGrpcService().getTimeout().getSeconds(),
                authz.getGrpcService().getTimeout().getNanos())
            : Duration.ofMillis(200);
    int statusOnError = authz.hasStatusOnError() ? authz.getStatusOnError().getCodeValue() : 403;
    if (statusOnError == 0) {
      statusOnError = 403;
    }
    boolean hasProc = proc != null;
    Duration msg =
        hasProc && proc.hasMessageTimeout()
            ? Duration.ofSeconds(
                proc.getMessageTimeout().getSeconds(), proc.getMessageTimeout().getNanos())
            : Duration.ofMillis(200);
    return new EmulatorSettings(
        authz.hasWithRequestBody() ? body.getMaxRequestBytes() : 0,
        body.getAllowPartialMessage(),
        body.getPackAsBytes(),
        checkTimeout,
        authz.getFailureModeAllow(),
        statusOnError,
        hasProc,
        hasProc
            && proc.getProcessingMode().getRequestBodyMode()
                == ProcessingMode.BodySendMode.BUFFERED,
        !hasProc
            || proc.getProcessingMode().getResponseBodyMode()
                == ProcessingMode.BodySendMode.STREAMED,
        msg,
        hasProc && proc.getFailureModeAllow(),
        hasProc
            ? List.copyOf(proc.getMetadataOptions().getForwardingNamespaces().getUntypedList())
            : List.of(),
        false,
        hasProc ? proc.getForwardRules() : HeaderForwardingRules.getDefaultInstance());
  }
}
