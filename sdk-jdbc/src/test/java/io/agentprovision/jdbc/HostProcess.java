package io.agentprovision.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One host of a fleet as a separate JVM process, started with {@link ProcessBuilder} on the test's
 * class path, and the lines it prints (one fact a line). The tests read what a host did from them,
 * wait for a line before acting, and kill the process with SIGKILL.
 */
final class HostProcess {
  private final String name;
  private final Process process;
  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final BlockingQueue<String> fresh = new LinkedBlockingQueue<>();
  private final Thread reader;

  private HostProcess(String name, Process process) {
    this.name = name;
    this.process = process;
    this.reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
          StandardCharsets.UTF_8))) {
        for (String l = in.readLine(); l != null; l = in.readLine()) {
          lines.add(l);
          fresh.add(l);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, "host-output-" + name);
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts {@code main} with {@code args} in a small JVM of its own, its standard error merged into its output. */
  static HostProcess start(String name, Class<?> main, List<String> args) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(java, "-Xmx160m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=error", "-cp", System.getProperty("java.class.path"),
        main.getName()));
    cmd.addAll(args);
    return new HostProcess(name, new ProcessBuilder(cmd).redirectErrorStream(true).start());
  }

  /** A {@link ProvisioningHostMain} host: see its arguments. */
  static HostProcess spendHost(String url, String name, int threads, int runs, String agents, boolean hold)
      throws IOException {
    List<String> args = new ArrayList<>(List.of(url, name, String.valueOf(threads), String.valueOf(runs), agents));
    if (hold) {
      args.add("hold");
    }
    return start(name, ProvisioningHostMain.class, args);
  }

  String name() {
    return name;
  }

  Process process() {
    return process;
  }

  /** Every line printed so far. */
  List<String> lines() {
    return lines;
  }

  /** The first line from now on that starts with {@code prefix}. */
  String await(String prefix) throws InterruptedException {
    for (;;) {
      String l = fresh.poll(180, TimeUnit.SECONDS);
      if (l == null) {
        process.destroyForcibly();
        throw new AssertionError(name + " printed no '" + prefix + "' line: " + lines);
      }
      if (l.startsWith(prefix)) {
        return l;
      }
    }
  }

  /** Kills the process with SIGKILL (no shutdown hook, no finally block runs) and waits until it is gone. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).as(name + " died").isTrue();
    assertThat(process.exitValue()).as("killed by signal 9").isEqualTo(128 + 9);
  }

  void awaitExit() throws InterruptedException {
    if (!process.waitFor(300, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(name + " did not finish: " + lines);
    }
    reader.join(10_000);
    assertThat(process.exitValue()).as(name + " exited normally: " + lines).isZero();
  }
}
