package io.agentprovision.core.internal.engine;

import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.http.Polling;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.journal.Lease;
import io.agentprovision.core.journal.RunRecord;
import io.agentprovision.core.journal.RunStatus;
import io.agentprovision.core.journal.StepRecord;
import io.agentprovision.core.journal.StepStatus;
import io.agentprovision.core.policy.Reservation;
import io.agentprovision.core.spi.RunJournal;
import io.agentprovision.core.wire.Digests;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * One account and one plan per person per provider. Runs acting for the same person (issuer and
 * subject) at the same provider, on any host, take turns at the account and plan steps under a
 * journal lease named after the person and the provider; under it a step first looks for what
 * another run already linked or bought ({@link #finishedElsewhere}) and reuses it, and buys only
 * when no other run has bought or may be buying it ({@link #payingElsewhere}).
 *
 * <p>The lease expires like any other, so a run that waited long may take it from a holder that is
 * still at work; that is safe because a step journals its reservation before its last look at the
 * lease ({@link StepRun#beforePaidCall}): a holder that lost the lease does not pay
 * ({@link Lost} sends it back to look again), and a taker sees the holder's reservation and waits.
 */
final class PrincipalLock {
  /** How long (real time) a step waits at most between looks while another run holds the person's lock or pays. */
  static final Polling.Backoff WAIT = new Polling.Backoff(Duration.ofMillis(500), Duration.ofSeconds(5));

  private PrincipalLock() {}

  /** The step's run no longer holds the person's lock it held: another run took it after it expired. */
  static final class Lost extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Lost(String name) {
      super("the lock " + name + " was taken over by another run", null, false, false);
    }
  }

  /** What another run produced at a step, and which run it was. */
  record Found<O>(RunId run, O output) {}

  /**
   * The lock's name: a hash of the person and the provider, so that no e-mail or subject appears in
   * the lease table.
   */
  static String name(Principal p, String provider) {
    return "principal:" + Digests.sha256Hex(p.issuer() + "\n" + p.subject() + "\n" + provider).substring(0, 40);
  }

  /** Takes the person's lock for {@code ctx}'s step, waiting while another run holds it; released when the step ends. */
  static void take(StepRun ctx) {
    String name = name(ctx.requirePrincipal(), ctx.request().provider());
    for (int n = 1; ; n++) {
      long seen = LockSignals.seen(name);
      Lease holder = ctx.tryLock(name);
      if (holder == null) {
        return;
      }
      waitTurn(ctx, n, name, seen, "run " + holder.owner() + " acts for the same person at "
          + ctx.request().provider() + " and holds their account and plan steps");
    }
  }

  /**
   * Waits for a run of this process to release the lock {@code name} after {@code seen}, or for the
   * next interval of {@link #WAIT} (real time: a holder in another process, or one that died, is
   * looked at again then), before the caller looks again. The step's deadline, on the engine's clock,
   * bounds the whole wait.
   *
   * @throws AgentProvisionException (retryable) once the step's deadline has passed
   */
  static void waitTurn(StepRun ctx, int n, String name, long seen, String why) {
    if (!ctx.clock().instant().isBefore(ctx.deadline())) {
      throw new AgentProvisionException(why + "; step " + ctx.stepId() + " of run " + ctx.runId()
          + " stopped waiting at its deadline: resume it once that run is done", null, true);
    }
    if (n == 1) {
      ctx.progress("waiting: " + why);
    }
    try {
      LockSignals.await(name, seen, WAIT.after(n));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AgentProvisionException("interrupted while waiting: " + why, e, true);
    }
  }

  /**
   * What {@code step} produced in the other runs for the same person at the same provider, newest
   * run first (runs that failed and were compensated are left out), read as the caller iterates: a
   * caller that stops at the first output it can use reads and decodes that one, however many runs
   * the person has had (an account step or a plan step used to decode every earlier run's output, so
   * a person's hundredth run cost a hundred times the first).
   */
  static <O extends Record> Iterable<Found<O>> finishedElsewhere(StepRun ctx, StepId step, Class<O> type) {
    return mapped(samePerson(ctx), r -> {
      StepRecord s = ctx.config().journal().step(r.id(), step).orElse(null);
      String json = s == null ? null : s.output();
      return s != null && s.status() == StepStatus.SUCCEEDED && json != null
          ? new Found<>(r.id(), OutputCodec.decode(json, type, r.id(), step)) : null;
    });
  }

  /**
   * Another run for the same person at the same provider whose {@code step} has started paying
   * (a reservation journaled and still held, or committed) without finishing: its purchase may have
   * gone through, so nobody else buys until it ends. Null when there is none. Only a run that has not
   * ended can have a step still running, so the runs that ended are passed over on their record alone.
   */
  static @Nullable RunId payingElsewhere(StepRun ctx, StepId step) {
    Optional<List<RunId>> filed = ctx.config().journal().runsFiledUnder(payingKey(ctx, step));
    Iterable<RunRecord> runs = filed.isEmpty() ? samePerson(ctx) : filed(ctx, filed.get(), UNFINISHED);
    for (RunRecord r : runs) {
      if (!UNFINISHED.contains(r.status())) {
        continue;
      }
      StepRecord s = ctx.config().journal().step(r.id(), step).orElse(null);
      if (s == null || s.status() != StepStatus.RUNNING) {
        continue;
      }
      for (String id : s.reservations()) {
        Reservation res = ctx.config().ledger().reservation(id).orElse(null);
        // held, committed or in doubt: anything but money given back
        if (res != null && res.status() != Reservation.Status.RELEASED && res.status() != Reservation.Status.EXPIRED) {
          return r.id();
        }
      }
    }
    return null;
  }

  /**
   * Files the step's run, before it starts paying, among the runs that paid (or set out to pay) for
   * {@code step} for this person: {@link #payingElsewhere} then looks at those few runs, not at every
   * run the person had (most of which reused a purchase instead of paying). A journal keeping no
   * index ignores it, and {@link #payingElsewhere} reads the person's runs through.
   */
  static void filePaying(StepRun ctx, StepId step) {
    ctx.config().journal().fileRun(ctx.runId(), payingKey(ctx, step));
  }

  private static String payingKey(StepRun ctx, StepId step) {
    return name(ctx.requirePrincipal(), ctx.request().provider()) + ":paying:" + step.value();
  }

  /** The statuses of runs whose steps another run of the same person may reuse or wait for. */
  private static final Set<RunStatus> LIVE_OR_DONE = EnumSet.of(RunStatus.RUNNING, RunStatus.AWAITING_APPROVAL,
      RunStatus.SUCCEEDED, RunStatus.DEPLOYED_UNVERIFIED, RunStatus.SUSPENDED);

  /** Of {@link #LIVE_OR_DONE}, the runs that have not ended: only they can have a step still running. */
  private static final Set<RunStatus> UNFINISHED = EnumSet.of(RunStatus.RUNNING, RunStatus.AWAITING_APPROVAL,
      RunStatus.SUSPENDED);

  /**
   * The other runs acting for the same person at the same provider, newest first, looked up as the
   * caller iterates. A journal that files runs by person ({@link RunJournal#fileRun}, done by the
   * identity step) answers from that index, newest filed first, so a caller that stops early reads
   * only the runs it looks at; any other journal is read through, newest created first.
   */
  private static Iterable<RunRecord> samePerson(StepRun ctx) {
    Principal me = ctx.requirePrincipal();
    String provider = ctx.request().provider();
    RunJournal journal = ctx.config().journal();
    Optional<List<RunId>> filed = journal.runsFiledUnder(name(me, provider));
    if (filed.isPresent()) {
      return filed(ctx, filed.get(), LIVE_OR_DONE);
    }
    String mine = People.key(me.issuer(), me.subject());
    People people = ctx.people();
    List<RunRecord> all = journal.runs(LIVE_OR_DONE.toArray(new RunStatus[0])); // oldest created first
    return mapped(newestFirst(all), r -> !r.id().equals(ctx.runId()) && r.provider().equals(provider)
        && mine.equals(people.of(journal, r.id())) ? r : null);
  }

  /** The runs {@code ids} names other than the step's own, newest filed first, at its provider and in {@code statuses}. */
  private static Iterable<RunRecord> filed(StepRun ctx, List<RunId> ids, Set<RunStatus> statuses) {
    RunJournal journal = ctx.config().journal();
    String provider = ctx.request().provider();
    return mapped(newestFirst(ids), id -> {
      RunRecord r = id.equals(ctx.runId()) ? null : journal.run(id).orElse(null);
      return r != null && r.provider().equals(provider) && statuses.contains(r.status()) ? r : null;
    });
  }

  /** {@code list} from its last element to its first. */
  private static <T> Iterable<T> newestFirst(List<T> list) {
    return () -> new Iterator<T>() {
      private int at = list.size();

      @Override
      public boolean hasNext() {
        return at > 0;
      }

      @Override
      public T next() {
        if (at == 0) {
          throw new NoSuchElementException();
        }
        return list.get(--at);
      }
    };
  }

  /**
   * {@code in} with each element mapped by {@code f} as the caller iterates, those it maps to null
   * left out: a caller that stops early maps only what it looked at.
   */
  static <T, R> Iterable<R> mapped(Iterable<T> in, Function<T, @Nullable R> f) {
    return () -> new Iterator<R>() {
      private final Iterator<T> from = in.iterator();
      private @Nullable R next;

      @Override
      public boolean hasNext() {
        while (next == null && from.hasNext()) {
          next = f.apply(from.next());
        }
        return next != null;
      }

      @Override
      public R next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        R out = Objects.requireNonNull(next);
        next = null;
        return out;
      }
    };
  }

  /**
   * Whom each run acts for (issuer and subject), read once from its journaled identity step and
   * kept: a run's attested person never changes once that step succeeded. Without it every account
   * and plan step decoded the identity of every run in the journal, so a host's cost per run grew
   * with the runs it had seen, and a fleet's with its square. Runs whose identity step has not
   * succeeded yet are read again next time. Held per engine, dropped whole past
   * {@link #MAX_KNOWN} runs (then read again as needed).
   */
  static final class People {
    static final int MAX_KNOWN = 1 << 16;
    private final Map<RunId, String> known = new ConcurrentHashMap<>();

    static String key(String issuer, String subject) {
      return issuer + "\u0000" + subject;
    }

    /** The person {@code run} acts for, or null while its identity step has no output. */
    @Nullable String of(RunJournal journal, RunId run) {
      String k = known.get(run);
      if (k != null) {
        return k;
      }
      StepRecord id = journal.step(run, IdentityStep.ID).orElse(null);
      String json = id == null ? null : id.output();
      if (json == null) {
        return null;
      }
      IdentityStep.Attested a = OutputCodec.decode(json, IdentityStep.Attested.class, run, IdentityStep.ID);
      k = key(a.issuer(), a.subject());
      if (known.size() >= MAX_KNOWN) {
        known.clear();
      }
      known.put(run, k);
      return k;
    }
  }
}
