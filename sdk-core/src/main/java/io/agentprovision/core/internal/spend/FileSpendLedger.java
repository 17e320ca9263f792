package io.agentprovision.core.internal.spend;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.internal.fs.AtomicFiles;
import io.agentprovision.core.internal.fs.DurabilityBarrier;
import io.agentprovision.core.internal.fs.OwedForce;
import io.agentprovision.core.policy.LimitUsage;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.core.policy.ReservationRequest;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.policy.SpendPolicyCodec;
import io.agentprovision.core.spi.SpendLedger;
import io.agentprovision.core.wire.Json;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * {@link SpendLedger} in a directory: an append-only log of what happened to reservations
 * ({@code ledger.jsonl}: reserved, committed, released, marked uncertain, reconciled, and budget alerts
 * marked), replayed on open
 * into an {@link InMemorySpendLedger}, whose running totals then answer every question.
 *
 * <p>Every operation runs under an exclusive lock on the log (this JVM's lock for the path, and an
 * OS file lock, so several processes on one machine may share the directory): it first reads what
 * other processes appended since it last looked, then decides on the up-to-date totals, then
 * appends its own event and forces it to disk before the lock is released and before it returns.
 * So a reservation, once returned, survives a crash, and two processes never admit together what
 * one limit holds room for once. A refused reservation writes nothing. Attached to a provisioner's
 * {@link DurabilityBarrier} ({@link #deferTo}), an append is not forced before it returns but before
 * the provisioner's next side effect outside the process (the charge a reservation is made for
 * among them): a machine that stops first may lose it, and nothing was charged on it.
 *
 * <p>Expiry is not written: a held reservation stops counting at its expiry on whatever clock reads
 * the log, as in memory. A line cut short by a crash mid-append (its writer never returned) is cut
 * off by the next writer; any other line that cannot be read stops the ledger with an error naming
 * the file and the line, rather than guessing at money.
 *
 * <p>The log only grows: opening it replays every event (a few microseconds each), which suits a
 * single machine's provisioning volume; hosts sharing limits at scale use the JDBC ledger.
 */
public final class FileSpendLedger implements SpendLedger, DurabilityBarrier.Deferring {
  static final String FILE_NAME = "ledger.jsonl";
  private static final String FORMAT = "agentprovision-ledger";
  private static final long VERSION = 1;

  private final Path file;
  private final Clock clock;
  private final FileChannel channel;
  /** The replayed state; replaced by a fresh replay if an append ever fails half-way. */
  private InMemorySpendLedger memory;
  /** How many bytes of the log {@link #memory} holds. */
  private long replayed;
  /** The barriers owed the log's forces once attached ({@link #deferTo}); empty: every append forces. */
  private final java.util.concurrent.CopyOnWriteArrayList<DurabilityBarrier> barriers =
      new java.util.concurrent.CopyOnWriteArrayList<>();
  private final OwedForce owed;

  private FileSpendLedger(Path file, Clock clock, FileChannel channel) {
    this.file = file;
    this.clock = clock;
    this.channel = channel;
    this.memory = new InMemorySpendLedger(clock);
    this.owed = new OwedForce(() -> {
      try {
        channel.force(false);
      } catch (java.nio.channels.ClosedChannelException e) {
        // closed by an interrupt of a thread using it: a force through another channel covers the file
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE)) {
          c.force(false);
        }
      }
    });
  }

  /**
   * Appends are then written without a force, owed to {@code barrier}, which forces them before the
   * provisioner's next side effect (the charge a reservation is made for among them). Processes on
   * this machine read them at once, as before (they share its page cache, under the log's lock).
   */
  @Override
  public void deferTo(DurabilityBarrier barrier) {
    Objects.requireNonNull(barrier, "barrier");
    barriers.addIfAbsent(barrier);
  }

  /** Opens (creating when missing) the ledger in {@code dir} and replays its log. */
  public static FileSpendLedger open(Path dir, Clock clock) {
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(clock, "clock");
    Path d = dir.toAbsolutePath().normalize();
    Path f = d.resolve(FILE_NAME);
    try {
      Files.createDirectories(d);
      FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.READ,
          StandardOpenOption.WRITE);
      FileSpendLedger ledger = new FileSpendLedger(f, clock, ch);
      ledger.locked(() -> null);
      return ledger;
    } catch (IOException e) {
      throw new AgentProvisionException("cannot open the spend ledger " + f + ": " + e, e, true);
    }
  }

  /** The log file. */
  public Path file() {
    return file;
  }

  @Override
  public Reservation reserve(ReservationRequest request) {
    Objects.requireNonNull(request, "request");
    return locked(() -> {
      Optional<Reservation> existing = memory.reservation(request.id());
      if (existing.isPresent()) {
        return existing.get();
      }
      Reservation r = memory.reserve(request);
      append(reserved(r));
      return r;
    });
  }

  @Override
  public Reservation commit(String reservationId, Money actual) {
    Objects.requireNonNull(reservationId, "reservationId");
    Objects.requireNonNull(actual, "actual");
    return locked(() -> {
      Optional<Reservation> before = memory.reservation(reservationId);
      Reservation r = memory.commit(reservationId, actual);
      if (before.isEmpty() || !before.get().equals(r)) {
        Map<String, Object> m = event("commit");
        m.put("id", reservationId);
        m.put("actual", actual.toString());
        append(m);
      }
      return r;
    });
  }

  @Override
  public Reservation release(String reservationId) {
    Objects.requireNonNull(reservationId, "reservationId");
    return locked(() -> {
      Optional<Reservation> before = memory.reservation(reservationId);
      Reservation r = memory.release(reservationId);
      if (before.isEmpty() || !before.get().equals(r)) {
        Map<String, Object> m = event("release");
        m.put("id", reservationId);
        append(m);
      }
      return r;
    });
  }

  @Override
  public Reservation markUncertain(String reservationId) {
    Objects.requireNonNull(reservationId, "reservationId");
    return locked(() -> {
      Optional<Reservation> before = memory.reservation(reservationId);
      Reservation r = memory.markUncertain(reservationId);
      if (before.isEmpty() || !before.get().equals(r)) {
        Map<String, Object> m = event("uncertain");
        m.put("id", reservationId);
        append(m);
      }
      return r;
    });
  }

  @Override
  public Reservation reconcile(String reservationId, Money charged) {
    Objects.requireNonNull(reservationId, "reservationId");
    Objects.requireNonNull(charged, "charged");
    return locked(() -> {
      Optional<Reservation> before = memory.reservation(reservationId);
      Reservation r = memory.reconcile(reservationId, charged);
      if (before.isEmpty() || !before.get().equals(r)) {
        Map<String, Object> m = event("reconcile");
        m.put("id", reservationId);
        m.put("charged", charged.toString());
        append(m);
      }
      return r;
    });
  }

  @Override
  public Optional<Reservation> reservation(String reservationId) {
    return locked(() -> memory.reservation(reservationId));
  }

  @Override
  public LimitUsage usage(SpendLimit limit, AgentId agent, String provider, Instant at, ZoneId zone) {
    return locked(() -> memory.usage(limit, agent, provider, at, zone));
  }

  @Override
  public List<Reservation> reservations(@Nullable AgentId agent, @Nullable String provider, Instant from, Instant to) {
    return locked(() -> memory.reservations(agent, provider, from, to));
  }

  @Override
  public List<Reservation> reservations(RunId run) {
    return locked(() -> memory.reservations(run));
  }

  @Override
  public boolean markAlert(String alertKey) {
    Objects.requireNonNull(alertKey, "alertKey");
    return locked(() -> {
      if (!memory.markAlert(alertKey)) {
        return false;
      }
      Map<String, Object> m = event("alert");
      m.put("key", alertKey);
      append(m);
      return true;
    });
  }

  @Override
  public String toString() {
    return "FileSpendLedger{" + file + "}";
  }

  // ---------------------------------------------------------------------------------------------

  /** Runs {@code action} under the log's lock, after reading what others appended. */
  private <T> T locked(Supplier<T> action) {
    try {
      return AtomicFiles.withLock(file, channel, ch -> {
        catchUp();
        return action.get();
      });
    } catch (IOException e) {
      throw new AgentProvisionException("cannot use the spend ledger " + file + ": " + e, e, true);
    }
  }

  /** Replays the events appended since {@link #replayed}; cuts off a line a crashed writer left unfinished. */
  private void catchUp() throws IOException {
    replayed = AppendedLines.catchUp(channel, file, "the spend ledger", replayed, this::apply);
  }

  private void apply(String line, long offset) {
    if (line.isBlank()) {
      return;
    }
    try {
      Map<String, Object> m = Json.parseObject(line);
      String op = req(m, "op");
      switch (op) {
        case "open" -> {
          AppendedLines.requireHeader(m, FORMAT, VERSION);
        }
        case "reserve" -> memory.restore(reservation(m));
        case "commit" -> memory.commit(req(m, "id"), Money.parse(req(m, "actual")));
        case "release" -> memory.release(req(m, "id"));
        case "uncertain" -> memory.markUncertain(req(m, "id"));
        case "reconcile" -> memory.reconcile(req(m, "id"), Money.parse(req(m, "charged")));
        case "alert" -> memory.markAlert(req(m, "key"));
        default -> throw new IllegalArgumentException("unknown event '" + op + "'");
      }
    } catch (RuntimeException e) {
      throw new AgentProvisionException("the spend ledger " + file + " has an unreadable event at byte " + offset
          + ": " + e.getMessage() + "; restore the file from a backup (the ledger does not guess at money)", e);
    }
  }

  /** Appends {@code event} as one line and forces it; on failure, forgets what was decided in memory. */
  private void append(Map<String, Object> event) {
    try {
      boolean deferred = !barriers.isEmpty();
      replayed = AppendedLines.append(channel, replayed, FORMAT, VERSION, event, !deferred);
      if (deferred) {
        owed.wrote();
        for (DurabilityBarrier b : barriers) {
          b.owe(owed);
        }
      }
    } catch (IOException | RuntimeException e) {
      // the decision was made in memory but is not on disk: start again from what the log holds
      memory = new InMemorySpendLedger(clock);
      replayed = 0;
      throw new AgentProvisionException("cannot write to the spend ledger " + file + ": " + e
          + "; nothing was reserved, committed or released", e, true);
    }
  }


  private Map<String, Object> event(String op) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("op", op);
    m.put("at", clock.instant().toString());
    return m;
  }

  private Map<String, Object> reserved(Reservation r) {
    Map<String, Object> m = event("reserve");
    m.put("id", r.id());
    m.put("agent", r.agent().value());
    m.put("provider", r.provider());
    if (r.run() != null) {
      m.put("run", r.run().value());
    }
    if (r.step() != null) {
      m.put("step", r.step().value());
    }
    m.put("amount", r.amount().toString());
    m.put("created_at", r.createdAt().toString());
    m.put("expires_at", r.expiresAt().toString());
    m.put("usage", Json.parse(SpendPolicyCodec.usagesToJson(r.usage())));
    m.put("description", r.description());
    return m;
  }

  private static Reservation reservation(Map<String, Object> m) {
    String run = Json.string(m, "run");
    String step = Json.string(m, "step");
    Object usage = m.get("usage");
    return new Reservation(req(m, "id"), AgentId.of(req(m, "agent")), req(m, "provider"),
        run == null ? null : RunId.of(run), step == null ? null : StepId.of(step), Money.parse(req(m, "amount")), null,
        Reservation.Status.RESERVED, Instant.parse(req(m, "created_at")), Instant.parse(req(m, "expires_at")),
        usage == null ? List.of() : SpendPolicyCodec.usagesFromJson(Json.canonical(usage)), req(m, "description"));
  }

  private static String req(Map<String, Object> m, String key) {
    String v = Json.string(m, key);
    if (v == null) {
      throw new IllegalArgumentException("'" + key + "' is missing");
    }
    return v;
  }
}
