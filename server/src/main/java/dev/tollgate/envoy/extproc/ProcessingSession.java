package dev.tollgate.envoy.extproc;

import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import dev.tollgate.accounting.Account;
import dev.tollgate.accounting.Accounting;
import dev.tollgate.accounting.IncludeUsage;
import dev.tollgate.accounting.InvalidTicketException;
import dev.tollgate.accounting.ReservationTicket;
import dev.tollgate.accounting.TicketSeal;
import dev.tollgate.admission.AuthzMetadata;
import dev.tollgate.config.ModelConfig;
import dev.tollgate.config.TollgateConfig;
import dev.tollgate.envoy.AuthzMetadataCodec;
import dev.tollgate.quota.Reservation;
import dev.tollgate.quota.Settlement;
import dev.tollgate.response.BodyDecoder;
import dev.tollgate.response.BufferBudget;
import dev.tollgate.response.ResponseUsage;
import dev.tollgate.tokens.ApiKind;
import dev.tollgate.tokens.Encodings;
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
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Envoy ext_proc stream (one HTTP request). Answers every message at once, in order, with the
 * matching response type; reads the ext_authz metadata Envoy forwards; follows the response body to
 * its usage; settles the reservation exactly once, asynchronously (a reply never waits on the
 * store). gRPC delivers one stream's messages serially, so no locking is needed.
 */
final class ProcessingSession implements StreamObserver<ProcessingRequest> {
  private static final Logger LOG = LoggerFactory.getLogger(ProcessingSession.class);
  private static final RateLimitedLog INVALID_TICKET_LOG = new RateLimitedLog(LOG, 60_000);
  static final String AUTHZ_NAMESPACE = "envoy.filters.http.ext_authz";

  private final TollgateConfig config;
  private final Accounting accounting;
  private final Encodings encodings;
  private final ExtProcStats stats;
  private final BufferBudget budget;
  private final StreamObserver<ProcessingResponse> out;

  private final TicketSeal seal;
  private boolean metadataRead;
  private AuthzMetadata md;
  private Account account;
  private ApiKind api;
  private ResponseUsage usage;
  private BodyDecoder decoder;
  private boolean failedUpstream;
  private boolean responseEnded;
  private boolean closed;
  private boolean streamEnded;

  ProcessingSession(
      TollgateConfig config,
      Accounting accounting,
      Encodings encodings,
      ExtProcStats stats,
      TicketSeal seal,
      BufferBudget budget,
      StreamObserver<ProcessingResponse> out) {
    this.config = config;
    this.seal = seal;
    this.accounting = accounting;
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
      reply =
          switch (req.getRequestCase()) {
            case REQUEST_HEADERS, REQUEST_TRAILERS -> ProcessingResponses.passThrough(req);
            case REQUEST_BODY -> requestBody(req.getRequestBody());
            case RESPONSE_HEADERS -> responseHeaders(req.getResponseHeaders());
            case RESPONSE_BODY -> responseBody(req.getResponseBody());
            case RESPONSE_TRAILERS -> {
              endOfResponse();
              yield ProcessingResponse.newBuilder()
                  .setResponseTrailers(TrailersResponse.getDefaultInstance())
                  .build();
            }
            default -> null;
          };
    } catch (RuntimeException e) {
      // never fail the client's request for accounting: answer "continue unchanged"
      LOG.warn("extproc.error: {}", e.toString());
      reply = ProcessingResponses.passThrough(req);
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
    streamEnded();
    endOfResponse();
  }

  /** The stream is over: it no longer counts as in flight (once, whichever way it ended). */
  private void streamEnded() {
    if (!streamEnded) {
      streamEnded = true;
      stats.streamsEnded.increment();
    }
  }

  @Override
  public void onCompleted() {
    if (!responseEnded && account != null && !account.isClosed()) {
      stats.cutShort.increment();
    }
    streamEnded();
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
      INVALID_TICKET_LOG.warn(
          "extproc.invalid_ticket: {}; the stream is passed through unaccounted", e.getMessage());
      return;
    }
    api = ApiKind.fromMetadataName(ticket.api());
    if (api != null && !ticket.reservation().keys().isEmpty()) {
      account = accounting.open(ticket);
    }
  }

  private ProcessingResponse requestBody(HttpBody body) {
    BodyResponse.Builder br = BodyResponse.newBuilder();
    if (config.accounting().addIncludeUsage()
        && account != null
        && IncludeUsage.appliesTo(api)
        && body.getEndOfStream()) {
      byte[] added = IncludeUsage.withIncludeUsage(body.getBody().toByteArray());
      if (added != null) {
        stats.includeUsageAdded.increment();
        br.setResponse(
            CommonResponse.newBuilder()
                .setHeaderMutation(
                    HeaderMutation.newBuilder()
                        .addSetHeaders(
                            ProcessingResponses.rawHeader(
                                "content-length", Integer.toString(added.length))))
                .setBodyMutation(BodyMutation.newBuilder().setBody(ByteString.copyFrom(added))));
      }
    }
    return ProcessingResponse.newBuilder().setRequestBody(br).build();
  }

  private ProcessingResponse responseHeaders(HttpHeaders h) {
    HeadersResponse.Builder hr = HeadersResponse.newBuilder();
    if (account == null) {
      if (!metadataRead) {
        stats.withoutMetadata.increment();
      }
      return ProcessingResponse.newBuilder().setResponseHeaders(hr).build();
    }
    String status = ProcessingResponses.header(h, ":status");
    String contentType = ProcessingResponses.header(h, "content-type");
    String encoding = ProcessingResponses.header(h, "content-encoding");
    failedUpstream = status == null || !status.startsWith("2");
    decoder = BodyDecoder.forEncoding(encoding);
    String model = account.ticket().model();
    ModelConfig m = config.models().get(model);
    usage =
        new ResponseUsage(
            api,
            encodings.encodingFor(model, m == null ? null : m.encoding()),
            account.ticket().promptTokens(),
            budget,
            stats::count);
    usage.streaming(
        contentType != null && contentType.toLowerCase(Locale.ROOT).contains("text/event-stream"));
    // The rate-limit headers are set here, overwriting, rather than by the Check answer's
    // OkHttpResponse.response_headers_to_add: they must replace the upstream's own x-ratelimit-*
    // headers (OpenAI sends them for its limits on the upstream key), and Envoy adds
    // response_headers_to_add to the response (ENVOY.md section 1) without an overwrite that holds
    // on every supported version, so the client could see both values.
    HeaderMutation.Builder mut = HeaderMutation.newBuilder();
    if (md.rateLimit() != null) {
      md.rateLimit()
          .headers()
          .forEach((k, v) -> mut.addSetHeaders(ProcessingResponses.rawHeader(k, v)));
    }
    if (md.rateLimitRequests() != null) {
      md.rateLimitRequests()
          .headers()
          .forEach((k, v) -> mut.addSetHeaders(ProcessingResponses.rawHeader(k, v)));
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
    if (usage != null && !failedUpstream && !account.isClosed()) {
      decoder.decode(body.getBody().asReadOnlyByteBuffer(), usage::feed);
    }
    if (body.getEndOfStream()) {
      endOfResponse();
    }
    return ProcessingResponse.newBuilder()
        .setResponseBody(BodyResponse.getDefaultInstance())
        .build();
  }

  /** The response is over (or will never complete): settle once, without waiting. */
  private void endOfResponse() {
    responseEnded = true;
    if (account == null || account.isClosed()) {
      return;
    }
    if (decoder != null) {
      decoder.close();
    }
    Accounting.Answer answer;
    if (failedUpstream) {
      answer = new Accounting.Answer(true, null, false);
    } else {
      if (usage != null) {
        usage.finish();
      }
      answer =
          usage == null
              ? new Accounting.Answer(false, null, false)
              : new Accounting.Answer(false, usage::usage, usage.reported());
    }
    Accounting.Closed closed = account.close(answer).orElseThrow();
    switch (closed.outcome()) {
      case REFUNDED -> stats.refunded.increment();
      case SETTLED_FROM_USAGE -> stats.settledFromUsage.increment();
      case SETTLED_FROM_DELTAS -> stats.settledFromDeltas.increment();
      case KEPT_RESERVATION -> stats.keptReservation.increment();
      default -> throw new IllegalStateException(closed.outcome().name());
    }
    String what = closed.outcome() == Accounting.Outcome.REFUNDED ? "release" : "settle";
    closed.store().whenComplete((o, e) -> outcome(o, e, what));
    if (LOG.isDebugEnabled()) {
      Reservation reservation = account.ticket().reservation();
      LOG.debug(
          "extproc.{} reservation={} reserved={} actual={} outcome={}",
          what,
          reservation.id(),
          reservation.charge(),
          closed.charge(),
          closed.outcome());
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
      LOG.warn(
          "store.{}_failed: reservation {}: {}",
          what,
          account.ticket().reservation().id(),
          e.toString());
    }
  }
}
