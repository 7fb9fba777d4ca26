package dev.tollgate.harness.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.tollgate.harness.envoy.EmulatorSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code ./tollgate bench --json}: the setup, every interval, the summaries, case (e). */
final class BenchJson {
  private final ObjectMapper mapper;

  BenchJson(ObjectMapper mapper) {
    this.mapper = mapper.copy().enable(SerializationFeature.INDENT_OUTPUT);
  }

  void write(
      Path path,
      BenchCommand c,
      EmulatorSettings settings,
      List<String> flags,
      Duration settle,
      List<BenchCommand.Row> rows,
      List<PairedCase> summaries,
      ContentionResult contention,
      PairedCase headline)
      throws IOException {
    Map<String, Object> doc = new LinkedHashMap<>();
    Map<String, Object> setup = new LinkedHashMap<>();
    setup.put("cores", Runtime.getRuntime().availableProcessors());
    setup.put("java", Runtime.version().toString());
    setup.put("jvm_flags", flags);
    setup.put("launcher_flags", ChildJvm.LAUNCHER_FLAGS);
    setup.put("in_flight", c.inFlight);
    setup.put("connections", c.connections);
    setup.put("warmup_seconds", c.warmup.toMillis() / 1e3);
    setup.put("interval_seconds", c.interval.toMillis() / 1e3);
    setup.put("settle_seconds", settle.toMillis() / 1e3);
    setup.put("pairs", c.pairs);
    setup.put("persistence", c.persistence);
    setup.put("leases", c.leases);
    setup.put("check_timeout_ms", settings.checkTimeout().toMillis());
    setup.put("users", Workload.USERS);
    setup.put("sse_chunks", Workload.CHUNKS);
    doc.put("setup", setup);
    List<Map<String, Object>> results = new ArrayList<>();
    for (BenchCommand.Row row : rows) {
      Measurement r = row.result();
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("case", row.workload().id);
      m.put("title", row.workload().title);
      m.put("server", row.server());
      m.put("members", row.members());
      m.put("load", row.load());
      m.put("requests_per_second", round(r.perSecond(), 1));
      m.put("requests", r.ok());
      m.put("errors", r.errors());
      m.put("server_cpu_us_per_request", round(r.serverCpuMicrosPerRequest(), 2));
      m.put("generator_cpu_us_per_request", round(r.generatorCpuMicrosPerRequest(), 2));
      m.put("seconds", round(r.seconds(), 3));
      m.put("p50_us", round(r.p50Us(), 1));
      m.put("p99_us", round(r.p99Us(), 1));
      m.put("p999_us", round(r.p999Us(), 1));
      m.put("max_us", round(r.maxUs(), 1));
      if (r.failures() != null && !r.failures().isEmpty()) {
        m.put("failures", r.failures());
      }
      if (r.firstError() != null) {
        m.put("first_error", r.firstError());
      }
      results.add(m);
    }
    doc.put("results", results);
    List<Map<String, Object>> ratios = new ArrayList<>();
    for (PairedCase s : summaries) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("case", s.workload().id);
      m.put("members", s.members());
      m.put("ratio", round(s.ratio(), 4));
      m.put("ratio_min", round(s.ratioMin(), 4));
      m.put("ratio_max", round(s.ratioMax(), 4));
      m.put("ratio_spread_percent", round(s.ratioSpreadPercent(), 2));
      m.put("pair_ratios", s.ratios().stream().map(v -> round(v, 4)).toList());
      m.put("tollgate_requests_per_second", round(s.tollgatePerSecond(), 1));
      m.put("baseline_requests_per_second", round(s.baselinePerSecond(), 1));
      m.put("tollgate_cpu_us_per_request", round(s.tollgateCpuMicros(), 2));
      m.put("baseline_cpu_us_per_request", round(s.baselineCpuMicros(), 2));
      ratios.add(m);
    }
    doc.put("ratios", ratios);
    if (contention != null) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("members", contention.members());
      m.put("in_flight", contention.inFlight());
      m.put("user", Workload.CONTENDED_USER);
      m.put("limit_tokens", contention.limitTokens());
      m.put("admitted_tokens", contention.admittedTokens());
      m.put("allowed_requests", contention.measurement().ok());
      m.put("refused_429", contention.refused429());
      m.put("refused_503", contention.refused503());
      m.put("past_check_timeout", contention.pastTimeout());
      m.put("other_failures", contention.otherFailures());
      m.put("over_limit", contention.overLimit());
      doc.put("contention", m);
    }
    doc.put("ratio", headline == null ? null : round(headline.ratio(), 4));
    if (path.toAbsolutePath().getParent() != null) {
      Files.createDirectories(path.toAbsolutePath().getParent());
    }
    mapper.writeValue(path.toFile(), doc);
  }

  /** Rounded to {@code digits} places; null (JSON null) for NaN. */
  private static Double round(double v, int digits) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return null;
    }
    double f = Math.pow(10, digits);
    return Math.round(v * f) / f;
  }
}
