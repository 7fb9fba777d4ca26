package dev.tollgate.envoy.extproc;

import dev.tollgate.accounting.Accounting;
import dev.tollgate.accounting.Pricing;
import dev.tollgate.accounting.TicketSeal;
import dev.tollgate.config.LiveConfig;
import dev.tollgate.config.TollgateConfig;
import dev.tollgate.ledger.UsageLedger;
import dev.tollgate.quota.QuotaService;
import dev.tollgate.response.BufferBudget;
import dev.tollgate.tokens.Encodings;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.stub.StreamObserver;
import java.util.function.Supplier;

/** {@code envoy.service.ext_proc.v3.ExternalProcessor/Process}: one session per stream. */
public final class ExternalProcessorService
    extends ExternalProcessorGrpc.ExternalProcessorImplBase {
  /** What a stream uses from one configuration. */
  private record Settings(TollgateConfig config, Accounting accounting) {}

  private final Supplier<Settings> settings;
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
    this(LiveConfig.of(config), quotas, encodings, stats, seal, budget, ledger);
  }

  /**
   * With a configuration that a reload replaces: each stream settles, start to end, with the prices
   * and settings in use when it opened.
   *
   * @param live the configuration in use
   * @param seal opens the reservation tickets admission sealed
   * @param ledger the usage ledger
   */
  public ExternalProcessorService(
      LiveConfig live,
      QuotaService quotas,
      Encodings encodings,
      ExtProcStats stats,
      TicketSeal seal,
      BufferBudget budget,
      UsageLedger ledger) {
    this.seal = seal;
    this.settings =
        live.derive(
            c ->
                new Settings(
                    c,
                    new Accounting(
                        quotas,
                        new Pricing(c.models()),
                        c.accounting().missingUsage(),
                        ledger,
                        stats.accounting())));
    this.encodings = encodings;
    this.stats = stats;
    this.budget = budget;
    stats.watch(budget);
  }

  @Override
  public StreamObserver<ProcessingRequest> process(StreamObserver<ProcessingResponse> responses) {
    stats.streams.increment();
    Settings s = settings.get();
    return new ProcessingSession(
        s.config(), s.accounting(), encodings, stats, seal, budget, responses);
  }
}
