package io.agentprovision.core.internal.journal;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.journal.Lease;
import io.agentprovision.core.spi.RunJournal;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The directory journal's leases between separate JVM processes, as hosts sharing a mounted
 * directory use them: the journal's lock holds across processes, so no two processes are granted
 * the same tenure, a token is given once across names, and a process killed with {@code kill -9}
 * while holding a run's lease leaves it to expire (and leaves no lock behind), after which another
 * process takes it over.
 */
class FileRunJournalAcrossProcessesTest {
  private static final String RUN_LEASE = "run:run_shared";

  @TempDir
  Path dir;

  private final java.util.Map<Process, Path> errorFiles = new java.util.concurrent.ConcurrentHashMap<>();

  /** What {@code child} printed, once it ended well (exit 0, its last line {@code done}). */
  private List<String> finished(Process child) throws Exception {
    List<String> lines = lines(child);
    assertThat(child.waitFor(120, TimeUnit.SECONDS)).as("the child ended").isTrue();
    assertThat(child.exitValue()).as(String.join("\n", lines) + errors(child)).isZero();
    assertThat(lines).last().isEqualTo("done");
    return lines;
  }

  @Test
  void fourProcessesContendingForOneLease_areNeverGrantedTheSameTenure_andNoGrantIsLost() throws Exception {
    Path runs = dir.resolve("runs");
    List<Process> children = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      children.add(start("contend", runs.toString(), "host-" + i, RUN_LEASE, "60"));
    }
    List<Long> tokens = new ArrayList<>();
    for (Process child : children) {
      List<String> lines = finished(child);
      for (String l : lines) {
        if (l.startsWith("granted ")) {
          tokens.add(Long.parseLong(l.substring("granted ".length())));
        }
      }
    }

    assertThat(tokens).as("some process got the lease").isNotEmpty();
    // every grant read the last token and wrote the next one under the lock: a lost update would
    // hand out a token twice, or leave a gap
    assertThat(tokens).doesNotHaveDuplicates();
    assertThat(tokens).containsExactlyInAnyOrderElementsOf(
        java.util.stream.LongStream.rangeClosed(1, tokens.size()).boxed().toList());
    RunJournal journal = RunJournal.directory(runs);
    assertThat(journal.lease(RUN_LEASE)).as("every process released what it got").isEmpty();
    Lease next = journal.acquireLease(RUN_LEASE, "host-after", LeaseContenderMain.NOW,
        LeaseContenderMain.NOW.plusSeconds(60)).orElseThrow();
    assertThat(next.token()).isEqualTo(tokens.size() + 1L);
  }

  /**
   * Four processes each lease and release names of their own (a run each) and contend for one
   * shared name, across many rewrites of the lease file, which forget the released names: every
   * token given, of any name, by any process, is given once, and the next is above them all.
   */
  @Test
  void fourProcessesLeasingManyNames_neverGiveATokenTwice_whileTheFileForgetsReleasedNames() throws Exception {
    Path runs = dir.resolve("runs");
    int rounds = 150;
    List<Process> children = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      children.add(start("churn", runs.toString(), "host-" + i, RUN_LEASE, String.valueOf(rounds)));
    }
    List<Long> tokens = new ArrayList<>();
    for (Process child : children) {
      List<String> lines = finished(child);
      long previous = 0;
      for (String l : lines) {
        if (l.startsWith("granted ")) {
          String[] parts = l.split(" ");
          long token = Long.parseLong(parts[2]);
          tokens.add(token);
          assertThat(token).as("one process's grants rise").isGreaterThan(previous);
          previous = token;
        }
      }
    }

    assertThat(tokens.size()).as("every own name granted, the shared one sometimes").isGreaterThan(4 * rounds);
    assertThat(tokens).containsExactlyInAnyOrderElementsOf(
        java.util.stream.LongStream.rangeClosed(1, tokens.size()).boxed().toList());
    Path f = runs.resolve(".leases.json");
    assertThat(Files.readAllLines(f).size()).as("released names forgotten at the rewrites")
        .isLessThanOrEqualTo(FileRunJournal.COMPACT_AFTER + 1);
    RunJournal journal = RunJournal.directory(runs);
    Lease again = journal.acquireLease("run:host-0_0", "host-after", LeaseContenderMain.NOW,
        LeaseContenderMain.NOW.plusSeconds(60)).orElseThrow();
    assertThat(again.token()).as("a forgotten name, above every token given").isEqualTo(tokens.size() + 1L);
  }

  @Test
  void aHostKilledWhileHoldingARunsLease_keepsItUntilItExpires_thenAnotherProcessTakesItOver() throws Exception {
    Path runs = dir.resolve("runs");
    Instant until = LeaseContenderMain.NOW.plusSeconds(60);
    Process holder = start("hold", runs.toString(), "host-a", RUN_LEASE, until.toString());
    long token;
    try (BufferedReader out = reader(holder)) {
      String line = out.readLine();
      assertThat(line).as(() -> errors(holder)).startsWith("held ");
      token = Long.parseLong(line.substring("held ".length()));
      holder.destroyForcibly(); // SIGKILL: no shutdown hook, no release, wherever its threads are
      assertThat(holder.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }

    RunJournal hostB = RunJournal.directory(runs);
    Lease dead = hostB.lease(RUN_LEASE).orElseThrow();
    assertThat(dead).isEqualTo(new Lease(RUN_LEASE, "host-a", token, until));
    assertThat(hostB.acquireLease(RUN_LEASE, "host-b", until.minusSeconds(1), until.plusSeconds(59)))
        .as("while the dead host's lease lives, nobody takes the run").isEmpty();

    Lease taken = hostB.acquireLease(RUN_LEASE, "host-b", until, until.plusSeconds(60)).orElseThrow();
    assertThat(taken.owner()).isEqualTo("host-b");
    assertThat(taken.token()).isEqualTo(token + 1);
    assertThat(hostB.renewLease(dead, until.plusSeconds(120)))
        .as("the dead host's tenure cannot be renewed, should it come back").isEmpty();
    assertThat(hostB.releaseLease(dead)).isFalse();
    assertThat(hostB.lease(RUN_LEASE)).contains(taken);
  }

  /**
   * A process killed with {@code kill -9} while holding hundreds of runs' leases: once they expire,
   * another process's next acquire drops them from the file, and the dead host's tenures are refused
   * to a process that comes back with one (a third JVM), as to a tenure taken over.
   */
  @Test
  void aHostKilledHoldingManyLeases_hasThemDroppedOnceExpired_andAProcessComingBackWithOneIsRefused()
      throws Exception {
    Path runs = dir.resolve("runs");
    Path f = runs.resolve(".leases.json");
    int count = 600;
    Instant until = LeaseContenderMain.NOW.plusSeconds(60);
    Process holder = start("holdMany", runs.toString(), "host-a", "run:dead_", String.valueOf(count), until.toString());
    List<Lease> dead = new ArrayList<>();
    try (BufferedReader out = reader(holder)) {
      for (String line = out.readLine(); !"ready".equals(line); line = out.readLine()) {
        assertThat(line).as(() -> errors(holder)).startsWith("held ");
        String[] parts = line.split(" ");
        dead.add(new Lease(parts[1], "host-a", Long.parseLong(parts[2]), until));
      }
      holder.destroyForcibly(); // SIGKILL: nothing released
      assertThat(holder.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(dead).hasSize(count);
    assertThat(Files.readAllLines(f)).hasSize(1 + count);

    RunJournal hostB = RunJournal.directory(runs);
    Lease b = hostB.acquireLease("run:b", "host-b", until, until.plusSeconds(60)).orElseThrow();

    assertThat(Files.readAllLines(f)).as("the dead host's leases dropped").hasSize(2);
    assertThat(b.token()).isEqualTo(count + 1L);
    Lease back = dead.get(count / 2);
    Process comesBack = start("renew", runs.toString(), back.owner(), back.name(), String.valueOf(back.token()),
        back.expiresAt().toString(), until.plusSeconds(60).toString());
    assertThat(finished(comesBack)).containsExactly("refused", "not released", "done");
    assertThat(hostB.lease(back.name())).isEmpty();
    assertThat(hostB.acquireLease(back.name(), "host-b", until, until.plusSeconds(60)).orElseThrow().token())
        .isEqualTo(count + 2L);
  }

  private Process start(String... args) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
        LeaseContenderMain.class.getName()));
    for (String a : args) {
      cmd.add(a);
    }
    // stderr to a file: a child that logs much never blocks on a pipe nobody reads
    Path err = dir.resolve(args[2] + ".err");
    Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
    errorFiles.put(p, err);
    return p;
  }

  private static BufferedReader reader(Process p) {
    return new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
  }

  private static List<String> lines(Process p) throws Exception {
    try (BufferedReader r = reader(p)) {
      return r.lines().toList();
    }
  }

  private String errors(Process p) {
    try {
      return "\n" + Files.readString(errorFiles.get(p));
    } catch (java.io.IOException | RuntimeException e) {
      return e.toString();
    }
  }
}
