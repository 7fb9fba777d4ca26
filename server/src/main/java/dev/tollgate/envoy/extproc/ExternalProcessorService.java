package dev.tollgate.envoy.extproc;

import dev.tollgate.accounting.Accounting;
import dev.tollgate.accounting.Pricing;
import dev.tollgate.accounting.TicketSeal;
import dev.tollgate.config.TollgateConfig;
import dev.tollgate.ledger.UsageLedger;
import dev.tollgate.quota.QuotaService;
import dev.tollgate.response.BufferBudget;
import dev.tollgate.tokens.Encodings;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.stub.StreamObserver;

/** {@code envoy.service.ext_proc.v3.ExternalProcessor/Process}: one session per stream. */
public final class ExternalProcessorService
    extends ExternalProcessorGrpc.ExternalProcessorImplBase {
  private final TollgateConfig config;
  private final Accounting accounting;
  private final Encodings encodings;
  private final ExtProcStats stats;
  private final TicketSeal seal;
  private final BufferBudget budget;

  /**
   * With a {@link BufferBudget#DEFAULT_MAX_BYTES} budget for what responses keep between chunks.
   *
   * @param seal opens the reservation tickets admission sealed
   */
  public ExternalProcessorService(
      TollgateConfig config,
      QuotaService quotas,
      Encodings encodings,
      ExtProcStats stats,
      TicketSeal seal) {
    this(config, quotas, encodings, stats, seal, new BufferBudget(BufferBudget.DEFAULT_MAX_BYTES));
  }

  /**
   * With the budget shared by every stream's response buffers.
   *
   * @param seal opens the reservation tickets admission sealed
   */
  public ExternalProcessorService(
      TollgateConfig config,
      QuotaService quotas,
      Encodings encodings,
      ExtProcStats stats,
      TicketSeal seal,
      BufferBudget budget) {
    this(config, quotas, encodings, stats, seal, budget, UsageLedger.NONE);
  }

  /**
   * With the budget shared by every stream's response buffers and the ledger settlements are added
   * to.
   *
   * @param seal opens the reservation tickets admission sealed
   * @param ledger the usage ledger
   */
  public ExternalProcessorService(
      TollgateConfig config,
      QuotaService quotas,
      Encodings encodings,
      ExtProcStats stats,
      TicketSeal seal,
      BufferBudget budget,
      UsageLedger ledger) {
    this.config = config;
    this.seal = seal;
    this.accounting =
        new Accounting(
            quotas,
            new Pricing(config.models()),
            config.accounting().missingUsage(),
            ledger,
            stats.accounting());
    this.encodings = encodings;
    this.stats = stats;
    this.budget = budget;
    stats.watch(budget);
  }

  @Override
  public StreamObserver<ProcessingRequest> process(StreamObserver<ProcessingResponse> responses) {
    stats.streams.increment();
    return new ProcessingSession(config, accounting, encodings, stats, seal, budget, responses);
  }
}
