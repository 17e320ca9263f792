package io.agentprovision.core.internal.journal;

import io.agentprovision.core.journal.Lease;
import io.agentprovision.core.spi.RunJournal;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * A host process for {@link FileRunJournalAcrossProcessesTest}, over the journal directory
 * {@code args[1]}, as lease owner {@code args[2]}:
 *
 * <ul>
 *   <li>{@code contend <dir> <owner> <name> <rounds>}: tries {@code rounds} times to take the lease
 *       {@code name}; each time it gets it, checks it is still the holder, prints
 *       {@code granted <token>} and releases it. Ends with {@code done}.
 *   <li>{@code churn <dir> <owner> <name> <rounds>}: each round tries once to take the lease
 *       {@code name} (printing {@code granted <name> <token>} and releasing it when it gets it), then
 *       takes and releases a name of its own ({@code run:<owner>_<round>}), printing the same: a
 *       host running many runs, whose names the lease file forgets. Ends with {@code done}.
 *   <li>{@code hold <dir> <owner> <name> <until>}: takes the lease until the instant {@code until},
 *       prints {@code held <token>}, and waits to be killed.
 *   <li>{@code holdMany <dir> <owner> <prefix> <count> <until>}: takes the leases {@code <prefix>0}
 *       to {@code <prefix><count - 1>} until {@code until}, prints {@code held <name> <token>} for
 *       each, then {@code ready}, and waits to be killed: a host whose runs all died with it.
 *   <li>{@code renew <dir> <owner> <name> <token> <expiresAt> <until>}: tries to renew that tenure
 *       and to release it, printing {@code renewed} or {@code refused}, {@code released} or
 *       {@code not released}, then {@code done}: a host that comes back with a tenure it held.
 * </ul>
 *
 * Times are fixed instants, as a host's clock hands them to the journal: the leases never expire by
 * themselves while the test runs, whatever the machine's load.
 */
public final class LeaseContenderMain {
  static final Instant NOW = Instant.parse("2026-11-02T10:00:00Z");

  private LeaseContenderMain() {}

  public static void main(String[] args) throws Exception {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    RunJournal journal = RunJournal.directory(Path.of(args[1]));
    String owner = args[2];
    String name = args[3];
    switch (args[0]) {
      case "contend" -> {
        int rounds = Integer.parseInt(args[4]);
        for (int i = 0; i < rounds; i++) {
          Optional<Lease> got = journal.acquireLease(name, owner, NOW, NOW.plus(Duration.ofHours(1)));
          if (got.isEmpty()) {
            Thread.onSpinWait();
            continue;
          }
          Lease l = got.get();
          Lease stored = journal.lease(name).orElseThrow(() -> new IllegalStateException("granted, then gone"));
          if (!stored.sameTenure(l)) {
            throw new IllegalStateException("granted " + l + " but the journal holds " + stored);
          }
          out.println("granted " + l.token());
          if (!journal.releaseLease(l)) {
            throw new IllegalStateException("could not release " + l);
          }
        }
        out.println("done");
      }
      case "churn" -> {
        int rounds = Integer.parseInt(args[4]);
        for (int i = 0; i < rounds; i++) {
          for (String n : new String[] {name, "run:" + owner + "_" + i}) {
            Optional<Lease> got = journal.acquireLease(n, owner, NOW, NOW.plus(Duration.ofHours(1)));
            if (got.isPresent()) {
              out.println("granted " + n + " " + got.get().token());
              if (!journal.releaseLease(got.get())) {
                throw new IllegalStateException("could not release " + got.get());
              }
            } else if (!n.equals(name)) {
              throw new IllegalStateException("a name of its own was not free: " + n);
            }
          }
        }
        out.println("done");
      }
      case "hold" -> {
        Lease l = journal.acquireLease(name, owner, NOW, Instant.parse(args[4]))
            .orElseThrow(() -> new IllegalStateException("the lease was not free"));
        out.println("held " + l.token());
        Thread.sleep(Long.MAX_VALUE); // killed here, holding it
      }
      case "holdMany" -> {
        int count = Integer.parseInt(args[4]);
        Instant until = Instant.parse(args[5]);
        for (int i = 0; i < count; i++) {
          Lease l = journal.acquireLease(name + i, owner, NOW, until)
              .orElseThrow(() -> new IllegalStateException("the lease was not free"));
          out.println("held " + l.name() + " " + l.token());
        }
        out.println("ready");
        Thread.sleep(Long.MAX_VALUE); // killed here, holding them all
      }
      case "renew" -> {
        Lease held = new Lease(name, owner, Long.parseLong(args[4]), Instant.parse(args[5]));
        out.println(journal.renewLease(held, Instant.parse(args[6])).isPresent() ? "renewed" : "refused");
        out.println(journal.releaseLease(held) ? "released" : "not released");
        out.println("done");
      }
      default -> throw new IllegalArgumentException("unknown mode " + args[0]);
    }
  }
}
