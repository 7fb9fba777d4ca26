package dev.tollgate.envoy.extproc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import dev.tollgate.accounting.InvalidTicketException;
import dev.tollgate.accounting.ReservationTicket;
import dev.tollgate.accounting.TicketSeal;
import dev.tollgate.admission.AuthzMetadata;
import dev.tollgate.admission.Pricing;
import dev.tollgate.config.AccountingConfig;
import dev.tollgate.envoy.AuthzMetadataCodec;
import dev.tollgate.config.ModelConfig;
import dev.tollgate.config.TollgateConfig;
import dev.tollgate.quota.Charge;
import dev.tollgate.quota.Quotas;
import dev.tollgate.quota.Reservation;
import dev.tollgate.quota.Settlement;
import dev.tollgate.tokens.ApiKind;
import dev.tollgate.tokens.BodyDecoder;
import dev.tollgate.tokens.BufferBudget;
import dev.tollgate.tokens.Encodings;
import dev.tollgate.tokens.ResponseUsage;
import dev.tollgate.tokens.Usage;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.HeadersResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.TrailersResponse;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Envoy ext_proc stream (one HTTP request). Answers every message at once, in order, with
 * the matching response type; reads the ext_authz metadata Envoy forwards; follows the response
 * body to its usage; settles the reservation exactly once, asynchronously (a reply never waits
 * on the store). gRPC delivers one stream's messages serially, so no locking is needed.
 */
final class ProcessingSession implements StreamObserver<ProcessingRequest> {
  private static final Logger LOG = LoggerFactory.getLogger(ProcessingSession.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final RateLimitedLog INVALID_TICKET_LOG = new RateLimitedLog(LOG, 60_000);
  static final String AUTHZ_NAMESPACE = "envoy.filters.http.ext_authz";

  private final TollgateConfig config;
  private final Quotas quotas;
  private final Pricing pricing;
  private final Encodings encodings;
  private final ExtProcStats stats;
  private final BufferBudget budget;
  private final StreamObserver<ProcessingResponse> out;

  private final TicketSeal seal;
  private boolean metadataRead;
  private AuthzMetadata md;
  private Reservation reservation;
  private ApiKind api;
  private String model;
  private long promptTokens;
  private ResponseUsage usage;
  private BodyDecoder decoder;
  private boolean failedUpstream;
  private boolean responseEnded;
  private boolean settled;
  private boolean closed;

  ProcessingSession(TollgateConfig config, Quotas quotas, Pricing pricing, Encodings encodings, ExtProcStats stats,
      TicketSeal seal, BufferBudget budget, StreamObserver<ProcessingResponse> out) {
    this.config = config;
    this.seal = seal;
    this.quotas = quotas;
    this.pricing = pricing;
    this.encodings = encodings;
    this.stats = stats;
    this.budget = budget;
    this.out = out;
  }

  @Override
  public void onNext(ProcessingRequest req) {
    ProcessingResponse reply;
    try {
      readMetadata(req);
      reply = switch (req.getRequestCase()) {
        case REQUEST_HEADERS -> ProcessingResponse.newBuilder()
            .setRequestHeaders(HeadersResponse.getDefaultInstance()).build();
        case REQUEST_BODY -> requestBody(req.getRequestBody());
        case REQUEST_TRAILERS -> ProcessingResponse.newBuilder()
            .setRequestTrailers(TrailersResponse.getDefaultInstance()).build();
        case RESPONSE_HEADERS -> responseHeaders(req.getResponseHeaders());
        case RESPONSE_BODY -> responseBody(req.getResponseBody());
        case RESPONSE_TRAILERS -> {
          endOfResponse();
          yield ProcessingResponse.newBuilder().setResponseTrailers(TrailersResponse.getDefaultInstance()).build();
        }
        default -> null;
      };
    } catch (RuntimeException e) {
      // never fail the client's request for accounting: answer "continue unchanged"
      LOG.warn("extproc.error: {}", e.toString());
      reply = passThrough(req);
    }
    if (reply != null && !closed) {
      out.onNext(reply);
    }
  }

  @Override
  public void onError(Throwable t) {
    // Envoy reset the stream (client went away, upstream reset): settle with what was seen
    closed = true;
    if (!responseEnded) {
      stats.cutShort.increment();
    }
    endOfResponse();
  }

  @Override
  public void onCompleted() {
    if (!responseEnded && reservation != null && !settled) {
      stats.cutShort.increment();
    }
    endOfResponse();
    if (!closed) {
      closed = true;
      out.onCompleted();
    }
  }

  // ---- messages -----------------------------------------------------------------------------

  private void readMetadata(ProcessingRequest req) {
    if (metadataRead) {
      return;
    }
    Struct s = req.getMetadataContext().getFilterMetadataMap().get(AUTHZ_NAMESPACE);
    if (s == null) {
      return;
    }
    metadataRead = true;
    md = AuthzMetadataCodec.fromStruct(s);
    String sealed = md.reservation();
    if (sealed == null) {
      return;
    }
    ReservationTicket ticket;
    try {
      ticket = seal.open(sealed);
    } catch (InvalidTicketException e) {
      // forged, altered, or sealed with a key this replica does not hold: never settle on it
      stats.invalidTicket.increment();
      INVALID_TICKET_LOG.warn("extproc.invalid_ticket: {}; the stream is passed through unaccounted", e.getMessage());
      return;
    }
    api = ApiKind.fromMetadataName(ticket.api());
    model = ticket.model();
    promptTokens = ticket.promptTokens();
    if (api != null && !ticket.reservation().keys().isEmpty()) {
      reservation = ticket.reservation();
    }
  }

  private ProcessingResponse requestBody(HttpBody body) {
    BodyResponse.Builder br = BodyResponse.newBuilder();
    if (config.accounting().addIncludeUsage() && reservation != null
        && (api == ApiKind.CHAT_COMPLETIONS || api == ApiKind.COMPLETIONS) && body.getEndOfStream()) {
      byte[] added = withIncludeUsage(body.getBody().toByteArray());
      if (added != null) {
        stats.includeUsageAdded.increment();
        br.setResponse(CommonResponse.newBuilder()
            .setHeaderMutation(HeaderMutation.newBuilder().addSetHeaders(rawHeader("content-length",
                Integer.toString(added.length))))
            .setBodyMutation(BodyMutation.newBuilder().setBody(ByteString.copyFrom(added))));
      }
    }
    return ProcessingResponse.newBuilder().setRequestBody(br).build();
  }

  /** The body with {@code stream_options.include_usage: true} when it streams without it; else null. */
  static byte[] withIncludeUsage(byte[] body) {
    try {
      JsonNode root = JSON.readTree(body);
      if (root == null || !root.isObject() || !root.path("stream").asBoolean(false)) {
        return null;
      }
      JsonNode so = root.get("stream_options");
      if (so != null && so.isObject() && so.path("include_usage").asBoolean(false)) {
        return null;
      }
      ObjectNode o = (ObjectNode) root;
      ObjectNode opts = so != null && so.isObject() ? (ObjectNode) so : o.putObject("stream_options");
      opts.put("include_usage", true);
      return JSON.writeValueAsBytes(o);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private ProcessingResponse responseHeaders(HttpHeaders h) {
    HeadersResponse.Builder hr = HeadersResponse.newBuilder();
    if (reservation == null) {
      if (!metadataRead) {
        stats.withoutMetadata.increment();
      }
      return ProcessingResponse.newBuilder().setResponseHeaders(hr).build();
    }
    String status = header(h, ":status");
    String contentType = header(h, "content-type");
    String encoding = header(h, "content-encoding");
    failedUpstream = status == null || !status.startsWith("2");
    decoder = BodyDecoder.forEncoding(encoding);
    ModelConfig m = config.models().get(model);
    usage = new ResponseUsage(api, encodings.encodingFor(model, m == null ? null : m.encoding()), promptTokens,
        budget, stats::count);
    usage.streaming(contentType != null && contentType.toLowerCase(Locale.ROOT).contains("text/event-stream"));
    // The rate-limit headers are set here, overwriting, rather than by the Check answer's
    // OkHttpResponse.response_headers_to_add: they must replace the upstream's own x-ratelimit-*
    // headers (OpenAI sends them for its limits on the upstream key), and Envoy adds
    // response_headers_to_add to the response (ENVOY.md section 1) without an overwrite that holds
    // on every supported version, so the client could see both values.
    HeaderMutation.Builder mut = HeaderMutation.newBuilder();
    if (md.rateLimit() != null) {
      md.rateLimit().headers().forEach((k, v) -> mut.addSetHeaders(rawHeader(k, v)));
    }
    if (mut.getSetHeadersCount() > 0) {
      hr.setResponse(CommonResponse.newBuilder().setHeaderMutation(mut));
    }
    if (h.getEndOfStream()) {
      endOfResponse();
    }
    return ProcessingResponse.newBuilder().setResponseHeaders(hr).build();
  }

  private ProcessingResponse responseBody(HttpBody body) {
    if (usage != null && !failedUpstream && !settled) {
      decoder.decode(body.getBody().asReadOnlyByteBuffer(), usage::feed);
    }
    if (body.getEndOfStream()) {
      endOfResponse();
    }
    return ProcessingResponse.newBuilder().setResponseBody(BodyResponse.getDefaultInstance()).build();
  }

  /** The response is over (or will never complete): settle once, without waiting. */
  private void endOfResponse() {
    responseEnded = true;
    if (reservation == null || settled) {
      return;
    }
    settled = true;
    if (decoder != null) {
      decoder.close();
    }
    if (failedUpstream) {
      stats.refunded.increment();
      quotas.release(reservation.id()).whenComplete((o, e) -> outcome(o, e, "release"));
      return;
    }
    Charge actual;
    if (usage != null) {
      usage.finish();
    }
    boolean fromProvider = usage != null && usage.reported();
    if (fromProvider || config.accounting().missingUsage() == AccountingConfig.MissingUsage.OBSERVED) {
      // no response headers at all: the stream was reset before the upstream answered
      Usage u = usage == null ? new Usage(promptTokens, 0, 0, 0, false) : usage.usage();
      (fromProvider ? stats.settledFromUsage : stats.settledFromDeltas).increment();
      long usd = pricing.nanoUsd(model, u.inputTokens(), u.cachedInputTokens(), u.outputTokens());
      actual = new Charge(Math.max(0, u.totalTokens()), Math.max(0, usd));
    } else {
      // the provider said nothing (stream cut, background response, no answer): what was used is
      // unknowable (reasoning tokens are billed but never streamed), so the reservation stands
      stats.keptReservation.increment();
      actual = reservation.charge();
    }
    quotas.settle(reservation.id(), actual).whenComplete((o, e) -> outcome(o, e, "settle"));
    if (LOG.isDebugEnabled()) {
      LOG.debug("extproc.settled reservation={} reserved={} actual={} from_provider={}", reservation.id(),
          reservation.charge(), actual, fromProvider);
    }
  }

  private void outcome(Settlement o, Throwable e, String what) {
    if (e != null) {
      logFailure(e, what);
    } else if (o == Settlement.NOT_HELD) {
      // settled already (a replay), expired, or given back: nothing changed
      stats.notHeld.increment();
    }
  }

  private void logFailure(Throwable e, String what) {
    if (e != null) {
      stats.settleFailed.increment();
      LOG.warn("store.{}_failed: reservation {}: {}", what, reservation.id(), e.toString());
    }
  }

  // ---- helpers ------------------------------------------------------------------------------

  private static ProcessingResponse passThrough(ProcessingRequest req) {
    ProcessingResponse.Builder b = ProcessingResponse.newBuilder();
    switch (req.getRequestCase()) {
      case REQUEST_HEADERS -> b.setRequestHeaders(HeadersResponse.getDefaultInstance());
      case REQUEST_BODY -> b.setRequestBody(BodyResponse.getDefaultInstance());
      case REQUEST_TRAILERS -> b.setRequestTrailers(TrailersResponse.getDefaultInstance());
      case RESPONSE_HEADERS -> b.setResponseHeaders(HeadersResponse.getDefaultInstance());
      case RESPONSE_BODY -> b.setResponseBody(BodyResponse.getDefaultInstance());
      case RESPONSE_TRAILERS -> b.setResponseTrailers(TrailersResponse.getDefaultInstance());
      default -> {
        return null;
      }
    }
    return b.build();
  }

  /** A header mutation that Envoy applies: {@code raw_value} only, overwrite. */
  @SuppressWarnings("deprecation")
  static HeaderValueOption rawHeader(String key, String value) {
    return HeaderValueOption.newBuilder()
        .setHeader(HeaderValue.newBuilder().setKey(key).setRawValue(ByteString.copyFromUtf8(value)))
        .setAppend(com.google.protobuf.BoolValue.of(false))
        .build();
  }

  static String header(HttpHeaders h, String name) {
    for (HeaderValue v : h.getHeaders().getHeadersList()) {
      if (v.getKey().equalsIgnoreCase(name)) {
        return v.getRawValue().isEmpty() ? v.getValue() : v.getRawValue().toStringUtf8();
      }
    }
    return null;
  }
}
