package io.agentprovision.testing.cloudflare;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import okhttp3.Headers;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs uploaded Workers locally with Cloudflare's open-source runtime, <a
 * href="https://github.com/cloudflare/workerd">workerd</a> (npm package {@code workerd}): one
 * {@code workerd serve} process per script on a loopback port it picks itself, configured from the script's
 * modules and text/JSON bindings, restarted on each re-upload and stopped on removal; plus a
 * loopback front server that dispatches by {@code Host} to the right process.
 *
 * <pre>{@code
 * Optional<Path> bin = WorkerdRuntime.locate();     // WORKERD_BIN, node_modules, ~/.cache
 * try (WorkerdRuntime rt = WorkerdRuntime.create(bin.orElseThrow(), Files.createTempDirectory("wd"))) {
 *   int port = rt.deploy("acct/hello", worker);
 *   int front = rt.startFront(host -> host.equals("hello.example.com") ? "acct/hello" : null);
 * }
 * }</pre>
 *
 * <p>{@link #locate()} takes the {@code WORKERD_BIN} environment variable, else the
 * {@code workerd.bin} system property, when one is set (and only that binary: set it to a path that
 * does not exist to run without workerd); otherwise it looks in {@code .workerd/node_modules} and
 * {@code node_modules} in the working directory and its parents (the platform binary of
 * {@code @cloudflare/workerd-*}, else the {@code .bin/workerd} launcher), and
 * {@code ~/.cache/agentprovision/workerd/node_modules}.
 * Install it with {@code npm install --no-save --prefix .workerd workerd} at the repository root.
 * Bindings other than text, secret text and JSON are left out: workerd would need local services
 * for KV or D1, which this runtime does not provide.
 */
public final class WorkerdRuntime implements AutoCloseable {
  /** Environment variable naming the workerd binary. */
  public static final String ENV_BINARY = "WORKERD_BIN";
  /** How long a workerd process may take to listen. */
  public static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);

  private static final Logger LOG = LoggerFactory.getLogger(WorkerdRuntime.class);

  static {
    // Without TCP_NODELAY the JDK server's header and body writes meet delayed ACKs: ~40 ms a call.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
  }
  private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "transfer-encoding", "upgrade",
      "content-length", "host", "proxy-connection", "te", "trailer");

  private final Path binary;
  private final Path workDir;
  private final String version;
  private final Map<String, Running> running = new ConcurrentHashMap<>();
  private final Map<String, String> failures = new ConcurrentHashMap<>();
  private final OkHttpClient proxy = new OkHttpClient.Builder().followRedirects(false).retryOnConnectionFailure(false)
      .readTimeout(Duration.ofSeconds(30)).build();
  private final Thread cleanup;
  private @Nullable HttpServer front;
  private @Nullable ExecutorService frontExecutor;

  private record Running(Process process, int port, Path dir) {}

  /** A Worker to run: its modules, main module, compatibility settings and bindings. */
  public record Worker(String mainModule, List<Module> modules, String compatibilityDate, List<String> compatibilityFlags,
      List<Binding> bindings) {
    public Worker {
      Objects.requireNonNull(mainModule, "mainModule");
      modules = List.copyOf(modules);
      Objects.requireNonNull(compatibilityDate, "compatibilityDate");
      compatibilityFlags = List.copyOf(compatibilityFlags);
      bindings = List.copyOf(bindings);
    }
  }

  /** One module: its name (the import path), content type and bytes. */
  public record Module(String name, String contentType, byte[] content) {}

  /**
   * One binding: {@code text} (plain or secret text) or {@code json} (the JSON text).
   *
   * @param kind {@code text} or {@code json}
   * @param name the name on {@code env}
   * @param value the text, or the JSON text
   */
  public record Binding(String kind, String name, String value) {
    @Override
    public String toString() {
      return kind + ":" + name;
    }
  }

  private WorkerdRuntime(Path binary, Path workDir, String version) {
    this.binary = binary;
    this.workDir = workDir;
    this.version = version;
    this.cleanup = new Thread(this::stopAll, "workerd-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
  }

  /** Finds a workerd binary that answers {@code --version}, or empty. */
  public static Optional<Path> locate() {
    for (Path p : candidates()) {
      if (Files.isRegularFile(p) && Files.isExecutable(p) && versionOf(p) != null) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  private static List<Path> candidates() {
    List<Path> out = new ArrayList<>();
    // a location set on purpose is the only one tried: pinning a build, or WORKERD_BIN=/nonexistent to run without
    String env = System.getenv(ENV_BINARY);
    if (env != null && !env.isBlank()) {
      out.add(Path.of(env.trim()));
      return out;
    }
    String prop = System.getProperty("workerd.bin");
    if (prop != null && !prop.isBlank()) {
      out.add(Path.of(prop.trim()));
      return out;
    }
    String platform = platform();
    Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    for (int i = 0; i < 6 && dir != null; i++, dir = dir.getParent()) {
      for (Path nm : List.of(dir.resolve(".workerd").resolve("node_modules"), dir.resolve("node_modules"))) {
        addFrom(out, nm, platform);
      }
    }
    addFrom(out, Path.of(System.getProperty("user.home"), ".cache", "agentprovision", "workerd", "node_modules"), platform);
    return out;
  }

  private static void addFrom(List<Path> out, Path nodeModules, @Nullable String platform) {
    if (platform != null) {
      out.add(nodeModules.resolve("@cloudflare").resolve("workerd-" + platform).resolve("bin").resolve("workerd"));
    }
    out.add(nodeModules.resolve(".bin").resolve("workerd"));
  }

  private static @Nullable String platform() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    String a = arch.equals("amd64") || arch.equals("x86_64") ? "64" : arch.equals("aarch64") || arch.equals("arm64") ? "arm64" : null;
    String o = os.contains("linux") ? "linux" : os.contains("mac") ? "darwin" : os.contains("windows") ? "windows" : null;
    return a == null || o == null ? null : o + "-" + a;
  }

  private static @Nullable String versionOf(Path binary) {
    try {
      Process p = new ProcessBuilder(binary.toString(), "--version").redirectErrorStream(true).start();
      byte[] out;
      try (InputStream in = p.getInputStream()) {
        out = in.readNBytes(4096);
      }
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return null;
      }
      String v = new String(out, StandardCharsets.UTF_8).trim();
      return p.exitValue() == 0 && v.startsWith("workerd") ? v : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** A runtime using {@code binary}, keeping its configurations and logs under {@code workDir}. */
  public static WorkerdRuntime create(Path binary, Path workDir) {
    String v = versionOf(binary);
    if (v == null) {
      throw new IllegalArgumentException(binary + " does not answer `--version` as workerd does");
    }
    try {
      Files.createDirectories(workDir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new WorkerdRuntime(binary, workDir, v);
  }

  /** What {@code workerd --version} printed, such as {@code workerd 2026-11-17}. */
  public String version() {
    return version;
  }

  public Path binary() {
    return binary;
  }

  /**
   * Starts (or restarts) the Worker under {@code key} and waits until it listens.
   *
   * @return its loopback port
   * @throws IllegalStateException when workerd does not start (its log is in the message)
   */
  public synchronized int deploy(String key, Worker worker) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(worker, "worker");
    remove(key);
    failures.remove(key);
    Path dir = workDir.resolve(key.replaceAll("[^A-Za-z0-9_.-]", "_") + "-" + System.nanoTime());
    Path log = dir.resolve("workerd.log");
    Process process;
    try {
      Files.createDirectories(dir.resolve("modules"));
      for (int i = 0; i < worker.modules().size(); i++) {
        Files.write(dir.resolve("modules").resolve("m" + i), worker.modules().get(i).content());
      }
      Files.writeString(dir.resolve("config.capnp"), config(worker, 0), StandardCharsets.UTF_8);
      // Port 0 and --control-fd=1: workerd picks a free port and, once the Worker compiled and the
      // socket listens, says so on stdout as {"event":"listen","socket":"http","port":N}.
      process = new ProcessBuilder(binary.toString(), "serve", "config.capnp", "--control-fd=1")
          .directory(dir.toFile())
          .redirectError(log.toFile())
          .start();
    } catch (IOException e) {
      failures.put(key, "cannot start workerd: " + e.getMessage());
      throw new IllegalStateException("cannot start workerd for " + key, e);
    }
    BlockingQueue<String> events = new LinkedBlockingQueue<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          events.add(line);
        }
      } catch (IOException e) {
        // the process ended; nothing more to read
      }
    }, "workerd-control-" + key);
    reader.setDaemon(true);
    reader.start();
    long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
    int port = -1;
    try {
      while (port < 0) {
        String line = events.poll(50, TimeUnit.MILLISECONDS);
        if (line != null) {
          port = listenPort(line);
          continue;
        }
        if (!process.isAlive()) {
          String why = "workerd exited with " + process.exitValue() + ": " + tail(log);
          failures.put(key, why);
          throw new IllegalStateException(why);
        }
        if (System.nanoTime() > deadline) {
          process.destroyForcibly();
          String why = "workerd did not listen within " + STARTUP_TIMEOUT + ": " + tail(log);
          failures.put(key, why);
          throw new IllegalStateException(why);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
      throw new IllegalStateException("interrupted while starting workerd", e);
    }
    running.put(key, new Running(process, port, dir));
    LOG.debug("workerd serves {} on 127.0.0.1:{}", key, port);
    return port;
  }

  /** The port of a control message {@code {"event":"listen","socket":"http","port":N}}, else -1. */
  static int listenPort(String line) {
    try {
      Map<String, Object> m = io.agentprovision.core.wire.Json.parseObject(line);
      if ("listen".equals(m.get("event")) && "http".equals(m.get("socket")) && m.get("port") instanceof Number n) {
        return n.intValue();
      }
    } catch (IllegalArgumentException notJson) {
      // other output on the control channel
    }
    return -1;
  }

  /** Stops the Worker under {@code key}, if it runs. */
  public synchronized void remove(String key) {
    Running r = running.remove(key);
    if (r != null) {
      stop(r.process());
    }
  }

  /** The port of the Worker under {@code key}, when it runs. */
  public OptionalInt port(String key) {
    Running r = running.get(key);
    return r == null || !r.process().isAlive() ? OptionalInt.empty() : OptionalInt.of(r.port());
  }

  /** Why the Worker under {@code key} failed to start last time, if it did. */
  public Optional<String> failure(String key) {
    return Optional.ofNullable(failures.get(key));
  }

  /** The keys of the running Workers. */
  public Set<String> keys() {
    return Set.copyOf(running.keySet());
  }

  /**
   * Starts the loopback front server: a request's {@code Host} (without port) goes through
   * {@code hostToKey} to a Worker key, and the request is proxied to that Worker with its
   * {@code Host} kept. Unknown hosts get 404, Workers that failed to start 502.
   *
   * @return the front's port
   */
  public synchronized int startFront(Function<String, @Nullable String> hostToKey) {
    if (front != null) {
      return front.getAddress().getPort();
    }
    try {
      HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      frontExecutor = Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "workerd-front");
        t.setDaemon(true);
        return t;
      });
      server.setExecutor(frontExecutor);
      server.createContext("/", ex -> forward(ex, hostToKey));
      server.start();
      front = server;
      return server.getAddress().getPort();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the workerd front server", e);
    }
  }

  private void forward(HttpExchange ex, Function<String, @Nullable String> hostToKey) throws IOException {
    try (ex) {
      String hostHeader = ex.getRequestHeaders().getFirst("Host");
      String host = hostHeader == null ? "" : hostHeader.replaceFirst(":\\d+$", "").toLowerCase(Locale.ROOT);
      String key = hostToKey.apply(host);
      if (key == null) {
        text(ex, 404, "no Worker is bound to " + host);
        return;
      }
      OptionalInt port = port(key);
      if (port.isEmpty()) {
        text(ex, 502, "the Worker for " + host + " is not running" + failure(key).map(f -> ": " + f).orElse(""));
        return;
      }
      byte[] body;
      try (InputStream in = ex.getRequestBody()) {
        body = in.readAllBytes();
      }
      String method = ex.getRequestMethod();
      Request.Builder rb = new Request.Builder()
          .url("http://127.0.0.1:" + port.getAsInt() + ex.getRequestURI().toString())
          .header("Host", host);
      ex.getRequestHeaders().forEach((k, vs) -> {
        if (!HOP_BY_HOP.contains(k.toLowerCase(Locale.ROOT))) {
          for (String v : vs) {
            rb.addHeader(k, v);
          }
        }
      });
      String ct = ex.getRequestHeaders().getFirst("Content-Type");
      boolean hasBody = !method.equals("GET") && !method.equals("HEAD");
      rb.method(method, hasBody ? RequestBody.create(body, ct == null ? null : MediaType.parse(ct)) : null);
      try (Response r = proxy.newCall(rb.build()).execute()) {
        byte[] out = r.body().bytes();
        Headers h = r.headers();
        for (String name : h.names()) {
          if (!HOP_BY_HOP.contains(name.toLowerCase(Locale.ROOT))) {
            ex.getResponseHeaders().put(name, h.values(name));
          }
        }
        ex.sendResponseHeaders(r.code(), out.length == 0 ? -1 : out.length);
        if (out.length > 0) {
          try (OutputStream os = ex.getResponseBody()) {
            os.write(out);
          }
        }
      } catch (IOException e) {
        text(ex, 502, "the Worker for " + host + " did not answer: " + e.getMessage());
      }
    }
  }

  private static void text(HttpExchange ex, int status, String message) throws IOException {
    byte[] out = message.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    ex.sendResponseHeaders(status, out.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(out);
    }
  }

  /** The workerd configuration (Cap'n Proto text) for {@code worker} listening on {@code port}. */
  static String config(Worker worker, int port) {
    StringBuilder sb = new StringBuilder();
    sb.append("using Workerd = import \"/workerd/workerd.capnp\";\n\n");
    sb.append("const config :Workerd.Config = (\n");
    sb.append("  services = [ (name = \"main\", worker = .mainWorker) ],\n");
    sb.append("  sockets = [ (name = \"http\", address = \"127.0.0.1:").append(port)
        .append("\", http = (), service = \"main\") ],\n");
    sb.append(");\n\n");
    sb.append("const mainWorker :Workerd.Worker = (\n");
    sb.append("  modules = [\n");
    List<Module> modules = new ArrayList<>(worker.modules());
    // The main module comes first: workerd treats the first module as the entry point.
    modules.sort(Comparator.comparing((Module m) -> !m.name().equals(worker.mainModule())));
    for (Module m : modules) {
      int index = worker.modules().indexOf(m);
      sb.append("    (name = ").append(quote(m.name())).append(", ").append(kind(m.contentType()))
          .append(" = embed ").append(quote("modules/m" + index)).append("),\n");
    }
    sb.append("  ],\n");
    sb.append("  compatibilityDate = ").append(quote(worker.compatibilityDate())).append(",\n");
    if (!worker.compatibilityFlags().isEmpty()) {
      sb.append("  compatibilityFlags = [");
      for (int i = 0; i < worker.compatibilityFlags().size(); i++) {
        sb.append(i == 0 ? "" : ", ").append(quote(worker.compatibilityFlags().get(i)));
      }
      sb.append("],\n");
    }
    sb.append("  bindings = [\n");
    for (Binding b : worker.bindings()) {
      sb.append("    (name = ").append(quote(b.name())).append(", ").append(b.kind().equals("json") ? "json" : "text")
          .append(" = ").append(quote(b.value())).append("),\n");
    }
    sb.append("  ],\n");
    sb.append(");\n");
    return sb.toString();
  }

  private static String kind(String contentType) {
    switch (contentType) {
      case "application/javascript+module":
        return "esModule";
      case "application/javascript":
        return "commonJsModule";
      case "application/wasm":
        return "wasm";
      case "application/json":
        return "json";
      case "text/plain":
      case "text/html":
        return "text";
      default:
        return "data";
    }
  }

  /** A Cap'n Proto text string literal. */
  static String quote(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if (c == '"' || c == '\\') {
        sb.append('\\').append((char) c);
      } else if (c == '\n') {
        sb.append("\\n");
      } else if (c < 0x20 || c >= 0x7f) {
        sb.append(String.format("\\x%02x", c));
      } else {
        sb.append((char) c);
      }
    }
    return sb.append('"').toString();
  }

  private static String tail(Path log) {
    try {
      String s = Files.readString(log, StandardCharsets.UTF_8);
      return s.length() > 2000 ? s.substring(s.length() - 2000) : s;
    } catch (IOException e) {
      return "(no log)";
    }
  }

  private static void stop(Process p) {
    p.destroy();
    try {
      if (!p.waitFor(5, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
    }
  }

  private synchronized void stopAll() {
    for (String key : List.copyOf(running.keySet())) {
      remove(key);
    }
    if (front != null) {
      front.stop(0);
      front = null;
    }
    if (frontExecutor != null) {
      frontExecutor.shutdownNow();
      frontExecutor = null;
    }
  }

  /** Stops every Worker and the front, and deletes the work directory. */
  @Override
  public void close() {
    stopAll();
    try {
      Runtime.getRuntime().removeShutdownHook(cleanup);
    } catch (IllegalStateException shuttingDown) {
      // already running the hook
    }
    try (Stream<Path> walk = Files.walk(workDir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      LOG.debug("could not delete {}: {}", workDir, e.getMessage());
    }
    proxy.dispatcher().executorService().shutdown();
    proxy.connectionPool().evictAll();
  }
}
