package dev.tollgate.harness.demo;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.RateLimitException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.embeddings.EmbeddingCreateParams;
import dev.tollgate.config.LimitConfig;
import dev.tollgate.config.ModelConfig;
import dev.tollgate.config.TierConfig;
import dev.tollgate.ledger.DailyUsage;
import dev.tollgate.ledger.DailyUsageRow;
import dev.tollgate.ledger.LedgerKey;
import dev.tollgate.ledger.UsageLedger;
import dev.tollgate.quota.Money;
import dev.tollgate.quota.Scope;
import dev.tollgate.quota.Unit;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The usage phase of {@code ./tollgate demo}: a few hundred simulated users with heavy-tailed
 * request counts and sizes, across several of the tier's models, send requests through the whole
 * path (the SDK, the Envoy emulator, Tollgate, the upstream, settlement); then the earlier days of
 * the month are written to the usage ledger directly, under the service key {@value #GENERATED_KEY}
 * so that they are told apart from what went through the path.
 */
final class DemoUsage {
  /** The service-key name of the ledger rows the demo writes directly. */
  static final String GENERATED_KEY = "demo-generated";

  /** The simulated users are {@code user-001}, {@code user-002}, ... */
  static final String USER_PREFIX = "user-";

  /** Requests one simulated user sends at most (the Pareto tail is cut there). */
  static final int MAX_REQUESTS_PER_USER = 12;

  private static final int THREADS = 4;
  private static final Duration BUDGET = Duration.ofSeconds(30);

  /** The models simulated users favour, most popular first (those of the tier are used). */
  private static final List<String> POPULAR =
      List.of("gpt-4o-mini", "gpt-4.1-mini", "gpt-4o", "gpt-4.1", "o4-mini");

  private static final double[] POPULARITY = {0.45, 0.2, 0.15, 0.1, 0.1};

  private static final String[] WORDS =
      ("the quota gate counts every token a user sends and every token the model answers with so"
              + " that nobody spends the month's budget in an afternoon summarise translate explain"
              + " compare draft review this paragraph invoice email report table code")
          .split(" ");

  /** What the phase did. */
  record Result(
      int users,
      int sent,
      int allowed,
      int refused,
      int failed,
      int usersRefused,
      boolean cutShort,
      double seconds,
      int generatedDays,
      int generatedRows) {}

  private final DemoStack stack;
  private final TierConfig tier;
  private final PrintWriter out;
  private final int users;
  private final long seed;

  DemoUsage(DemoStack stack, TierConfig tier, PrintWriter out, int users, long seed) {
    this.stack = stack;
    this.tier = tier;
    this.out = out;
    this.users = users;
    this.seed = seed;
  }

  /** A simulated user: how heavy (Pareto, at least 1), which model it favours. */
  private record SimUser(String name, double weight, String favourite) {}

  static String userName(int i) {
    return USER_PREFIX + String.format(Locale.ROOT, "%03d", i);
  }

  Result run() throws InterruptedException {
    Random random = new Random(seed);
    List<String> chatModels = new ArrayList<>();
    List<Double> popularity = new ArrayList<>();
    for (int i = 0; i < POPULAR.size(); i++) {
      if (tier.models().contains(POPULAR.get(i))) {
        chatModels.add(POPULAR.get(i));
        popularity.add(POPULARITY[i]);
      }
    }
    if (chatModels.isEmpty()) {
      chatModels.add(DemoSession.MODEL);
      popularity.add(1.0);
    }
    boolean embeddings = tier.models().contains(DemoSession.EMBEDDING_MODEL);
    List<SimUser> sim = new ArrayList<>();
    for (int i = 1; i <= users; i++) {
      double weight = pareto(random, 1.3);
      sim.add(new SimUser(userName(i), weight, pick(random, chatModels, popularity)));
    }

    out.println();
    out.printf(
        "Usage phase: %d simulated users (%s001 to %s), heavy-tailed: Pareto request counts (at most"
            + " %d each), log-normal prompt and answer sizes, models %s%s%n",
        users,
        USER_PREFIX,
        userName(users),
        MAX_REQUESTS_PER_USER,
        String.join(", ", chatModels),
        embeddings ? " and " + DemoSession.EMBEDDING_MODEL : "");
    out.printf(
        "  through the whole path (SDK -> Envoy emulator -> Tollgate -> upstream -> settlement), %d"
            + " at a time; the demo limit (%s per user) refuses the heavier ones%n",
        THREADS, DemoStack.DEMO_LIMIT);
    out.flush();

    long t0 = System.nanoTime();
    long deadline = t0 + BUDGET.toNanos();
    AtomicInteger sent = new AtomicInteger();
    AtomicInteger allowed = new AtomicInteger();
    AtomicInteger refused = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    AtomicInteger usersRefused = new AtomicInteger();
    List<String> errors = java.util.Collections.synchronizedList(new ArrayList<>());
    OpenAIClient client =
        OpenAIOkHttpClient.builder()
            .apiKey(DemoSession.SERVICE_KEY)
            .baseUrl(stack.envoy().baseUrl())
            .maxRetries(0)
            .timeout(Duration.ofSeconds(30))
            .build();
    ExecutorService pool =
        Executors.newFixedThreadPool(
            THREADS,
            r -> {
              Thread t = new Thread(r, "tollgate-demo-usage");
              t.setDaemon(true);
              return t;
            });
    try {
      for (SimUser u : sim) {
        // each user's requests are drawn here, from the one seeded generator, in user order
        int count = (int) Math.min(MAX_REQUESTS_PER_USER, Math.round(u.weight()));
        List<Runnable> requests = new ArrayList<>();
        for (int k = 0; k < count; k++) {
          String model =
              random.nextDouble() < 0.8 ? u.favourite() : pick(random, chatModels, popularity);
          boolean embed = embeddings && random.nextDouble() < 0.08;
          String prompt = prompt(random, (int) clamp(logNormal(random, 12, 0.7), 3, 60));
          long maxOut = clamp(logNormal(random, 30, 0.5), 8, 80);
          requests.add(
              () -> {
                if (embed) {
                  client
                      .embeddings()
                      .create(
                          EmbeddingCreateParams.builder()
                              .model(DemoSession.EMBEDDING_MODEL)
                              .input(prompt)
                              .putAdditionalHeader("x-on-behalf-of", u.name())
                              .build());
                } else {
                  client
                      .chat()
                      .completions()
                      .create(
                          ChatCompletionCreateParams.builder()
                              .model(model)
                              .addUserMessage(prompt)
                              .maxCompletionTokens(maxOut)
                              .putAdditionalHeader("x-on-behalf-of", u.name())
                              .build());
                }
              });
        }
        pool.execute(
            () -> {
              boolean wasRefused = false;
              for (Runnable request : requests) {
                if (System.nanoTime() > deadline) {
                  return;
                }
                sent.incrementAndGet();
                try {
                  request.run();
                  allowed.incrementAndGet();
                } catch (RateLimitException e) {
                  refused.incrementAndGet();
                  wasRefused = true;
                } catch (RuntimeException e) {
                  failed.incrementAndGet();
                  errors.add(e.getClass().getSimpleName() + ": " + e.getMessage());
                }
              }
              if (wasRefused) {
                usersRefused.incrementAndGet();
              }
            });
      }
      pool.shutdown();
      if (!pool.awaitTermination(BUDGET.toSeconds() + 30, TimeUnit.SECONDS)) {
        pool.shutdownNow();
      }
    } finally {
      pool.shutdownNow();
      client.close();
    }
    boolean cutShort = System.nanoTime() > deadline;
    double seconds = (System.nanoTime() - t0) / 1e9;
    out.printf(
        "  %d requests in %.1f s: %d allowed, %d refused with 429 (%d users refused at least once),"
            + " %d failed otherwise%s%n",
        sent.get(),
        seconds,
        allowed.get(),
        refused.get(),
        usersRefused.get(),
        failed.get(),
        cutShort ? " (stopped at the time budget of " + BUDGET.toSeconds() + " s)" : "");
    if (!errors.isEmpty()) {
      out.println("  first failure: " + errors.get(0));
    }
    out.flush();
    awaitLedger(allowed.get(), refused.get());

    int[] generated = generateEarlierDays(random, sim, chatModels);
    return new Result(
        users,
        sent.get(),
        allowed.get(),
        refused.get(),
        failed.get(),
        usersRefused.get(),
        cutShort,
        seconds,
        generated[0],
        generated[1]);
  }

  /**
   * Settlement happens after the response (ext_proc), and the ledger writes its changes every
   * second: waits (bounded) until today's rows hold what went through the path.
   */
  private void awaitLedger(int allowed, int refused) throws InterruptedException {
    UsageLedger ledger = stack.tollgate().ledger();
    LocalDate today = LocalDate.now(Clock.systemUTC());
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    long[] seen;
    do {
      ledger.flush();
      seen = today(ledger, today);
      if (seen[0] >= allowed && seen[1] >= refused) {
        break;
      }
      Thread.sleep(100);
    } while (System.nanoTime() < deadline);
    out.printf(
        "  the ledger has them for today (%s): %d requests settled, %d refusals, %d tokens"
            + " (service key %s)%n",
        today, seen[0], seen[1], seen[2], serviceKeyName());
    out.flush();
  }

  private String serviceKeyName() {
    return stack.config().keys().stream()
        .filter(k -> k.tier().equals(tier.name()))
        .map(k -> k.name())
        .findFirst()
        .orElse("?");
  }

  /** Today's simulated requests, refusals and tokens through the path, in the ledger. */
  private long[] today(UsageLedger ledger, LocalDate today) {
    long requests = 0;
    long refusals = 0;
    long tokens = 0;
    for (DailyUsageRow row : ledger.read(tier.name(), today, today)) {
      if (row.key().user().startsWith(USER_PREFIX)
          && !row.key().serviceKey().equals(GENERATED_KEY)) {
        requests += row.usage().requests();
        refusals += row.usage().refusalCount();
        tokens += row.usage().inputTokens() + row.usage().outputTokens();
      }
    }
    return new long[] {requests, refusals, tokens};
  }

  /**
   * Writes each day of last month and the earlier days of this month (UTC) to the ledger directly,
   * for the same users: daily tokens log-normal around each user's weight, split between the
   * favourite model and another, priced as Tollgate prices them, and capped by the tier's daily
   * token and monthly dollar limits per user (the excess is recorded as refusals by those limits).
   * Last month is there so that AdviseLimits has a complete month to look at. The quota counters
   * are not touched. Returns the days and the rows written.
   */
  private int[] generateEarlierDays(Random random, List<SimUser> sim, List<String> chatModels) {
    LocalDate today = LocalDate.now(Clock.systemUTC());
    LocalDate start = today.minusMonths(1).withDayOfMonth(1);
    int days = (int) java.time.temporal.ChronoUnit.DAYS.between(start, today);
    long dayTokens = userLimit("1d", Unit.TOKENS);
    long monthNanoUsd = userLimit("month", Unit.NANO_USD);
    UsageLedger ledger = stack.tollgate().ledger();
    int rows = 0;
    long tokens = 0;
    long nanoUsd = 0;
    long refusals = 0;
    Map<String, Long> spent = new HashMap<>();
    int rowsBeforeThisMonth = -1;
    for (int d = 0; d < days; d++) {
      LocalDate day = start.plusDays(d);
      if (day.getDayOfMonth() == 1) {
        spent.clear(); // a new calendar month: a new budget
      }
      if (day.getMonth() == today.getMonth() && rowsBeforeThisMonth < 0) {
        rowsBeforeThisMonth = rows;
      }
      for (SimUser u : sim) {
        double w = Math.min(u.weight(), 150);
        if (random.nextDouble() > Math.min(0.9, 0.2 + 0.05 * w)) {
          continue;
        }
        long want = (long) (2500 * w * Math.exp(random.nextGaussian() * 0.7));
        long userRefusals = 0;
        String refusedBy = null;
        if (dayTokens > 0 && want > dayTokens) {
          userRefusals = Math.min(20, 1 + (want - dayTokens) / 2000);
          refusedBy = "1d";
          want = dayTokens;
        }
        long already = spent.getOrDefault(u.name(), 0L);
        if (monthNanoUsd > 0 && already >= monthNanoUsd) {
          // over the month's budget: every request refused
          ledger.add(
              new LedgerKey(day, tier.name(), u.name(), GENERATED_KEY, u.favourite()),
              refusalsOf("month", Math.min(20, 1 + want / 2000)));
          refusals += Math.min(20, 1 + want / 2000);
          rows++;
          continue;
        }
        String other = chatModels.get(random.nextInt(chatModels.size()));
        long favourite = other.equals(u.favourite()) ? want : want * 4 / 5;
        long[][] parts = {{favourite}, {want - favourite}};
        String[] models = {u.favourite(), other};
        for (int m = 0; m < 2; m++) {
          long t = parts[m][0];
          if (t <= 0) {
            continue;
          }
          long input = t * 3 / 4;
          long cached = random.nextDouble() < 0.4 ? input / 4 : 0;
          long output = t - input;
          long price = price(models[m], input, cached, output);
          if (monthNanoUsd > 0 && already + price > monthNanoUsd) {
            // stop at the budget: scale this row down to what still fits
            double f = (double) (monthNanoUsd - already) / price;
            input = (long) (input * f);
            cached = (long) (cached * f);
            output = (long) (output * f);
            price = price(models[m], input, cached, output);
            userRefusals += 1 + random.nextInt(5);
            refusedBy = "month";
          }
          long requests = Math.max(1, (input + output) / 900);
          DailyUsage usage =
              new DailyUsage(requests, 0, input, cached, output, price, Map.of())
                  .plus(
                      m == 0 && userRefusals > 0
                          ? refusalsOf(refusedBy, userRefusals)
                          : DailyUsage.ZERO);
          ledger.add(new LedgerKey(day, tier.name(), u.name(), GENERATED_KEY, models[m]), usage);
          rows++;
          already += price;
          tokens += input + output;
          nanoUsd += price;
          if (m == 0) {
            refusals += userRefusals;
          }
        }
        spent.put(u.name(), already);
      }
    }
    ledger.flush();
    int thisMonthRows = rowsBeforeThisMonth < 0 ? 0 : rows - rowsBeforeThisMonth;
    out.printf(
        "Generated for the ledger (not sent through the path): %s to %s (last month, for"
            + " AdviseLimits, and %d earlier days of this one: %d rows), %d rows under the service"
            + " key '%s', %d tokens, %s, %d refusals (by the tier's 1d and month user limits)%n",
        start,
        today.minusDays(1),
        today.getDayOfMonth() - 1,
        thisMonthRows,
        rows,
        GENERATED_KEY,
        tokens,
        DemoReport.usd(nanoUsd / 1e9),
        refusals);
    out.println(
        "  written with UsageLedger.add on the running Tollgate; the quota counters do not include"
            + " them");
    out.flush();
    return new int[] {days, rows};
  }

  private static DailyUsage refusalsOf(String window, long n) {
    return new DailyUsage(
        0, 0, 0, 0, 0, 0, Map.of(DailyUsage.refusalKey(Scope.USER.configName(), window), n));
  }

  /** The tier's user limit on a window in a unit, or 0. */
  private long userLimit(String window, Unit unit) {
    for (LimitConfig l : tier.limits()) {
      if (l.scope() == Scope.USER
          && l.limit().unit() == unit
          && l.limit().window().name().equals(window)) {
        return l.limit().max();
      }
    }
    return 0;
  }

  /** Priced as Tollgate prices a settlement: input (uncached, cached) and output. */
  private long price(String model, long input, long cached, long output) {
    ModelConfig m = stack.config().models().get(model);
    if (m == null) {
      return 0;
    }
    BigDecimal cachedPrice =
        m.cachedInputUsdPerMtok() == null ? m.inputUsdPerMtok() : m.cachedInputUsdPerMtok();
    return Money.addSaturated(
        Money.addSaturated(
            Money.priceNanoUsd(input - cached, m.inputUsdPerMtok()),
            Money.priceNanoUsd(cached, cachedPrice)),
        Money.priceNanoUsd(output, m.outputUsdPerMtok()));
  }

  private static double pareto(Random r, double alpha) {
    return Math.pow(1 - r.nextDouble(), -1 / alpha);
  }

  private static double logNormal(Random r, double median, double sigma) {
    return median * Math.exp(r.nextGaussian() * sigma);
  }

  private static long clamp(double v, long lo, long hi) {
    return Math.max(lo, Math.min(hi, Math.round(v)));
  }

  private static String pick(Random r, List<String> items, List<Double> weights) {
    double total = weights.stream().mapToDouble(Double::doubleValue).sum();
    double x = r.nextDouble() * total;
    for (int i = 0; i < items.size(); i++) {
      x -= weights.get(i);
      if (x < 0) {
        return items.get(i);
      }
    }
    return items.get(items.size() - 1);
  }

  private static String prompt(Random r, int words) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < words; i++) {
      sb.append(i == 0 ? "" : " ").append(WORDS[r.nextInt(WORDS.length)]);
    }
    return sb.toString();
  }
}
