package io.agentprovision.core.internal.engine;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.RunId;
import io.agentprovision.core.StepId;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.approval.IntentMandate;
import io.agentprovision.core.approval.MandateTrust;
import io.agentprovision.core.approval.Mandates;
import io.agentprovision.core.journal.StepRecord;
import io.agentprovision.core.journal.StepStatus;
import io.agentprovision.core.wire.Digests;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The intent mandates a provisioner holds, and the engine's use of them at checkpoints: a checkpoint
 * that approves spending, asked for a mandate's person, agent and provider, is approved by the
 * first mandate whose every bound holds (expiry, services, currency, per-step maximum, and the
 * total across runs), the amount counted against that total by compare-and-set in the run journal
 * before the approval is given, so hosts sharing the journal never approve past it. A checkpoint in
 * a mandate's scope but beyond a bound is {@link Verdict.Exceeded}; one outside every mandate's
 * scope is {@link Verdict#NONE}, and goes to the gate as before.
 *
 * <p>A mandate's count lives in the journal under a run id of its own ({@code mandate.<hash>}, step
 * {@code uses}) that no run record names, so it is never listed as a run. What a mandate approved
 * stays counted even when the spend is later released: the count is of approvals given.
 */
public final class MandateBook implements Mandates {
  private static final StepId USES = StepId.of("uses");
  private static final int MAX_ATTEMPTS = 64;
  /** Checkpoint kinds a mandate may approve: those that let money move, at a price. */
  private static final Set<CheckpointKind> COVERED = Set.of(CheckpointKind.PLAN_APPROVAL, CheckpointKind.PAID_PLAN,
      CheckpointKind.PAID_RESOURCE, CheckpointKind.DOMAIN_PURCHASE);

  /** A mandate's count, as journaled. */
  record Usage(String mandate, Money used, int uses) {}

  /**
   * What a checkpoint asks of the mandates.
   *
   * @param agent the agent of the run
   * @param person the run's human (subject), or null before the identity step
   * @param provider the run's provider
   * @param kind the checkpoint's kind
   * @param amount what approving it lets be spent
   * @param services the catalog services it buys
   * @param perStep the price of each step it approves (one for a paid step; each paid step for a plan)
   */
  record Scope(AgentId agent, @Nullable String person, String provider, CheckpointKind kind, @Nullable Money amount,
      List<String> services, List<Money> perStep) {
    Scope {
      services = List.copyOf(services);
      perStep = List.copyOf(perStep);
    }
  }

  /** The mandates' answer. */
  sealed interface Verdict {
    /** No mandate is for this person, agent and provider (or the checkpoint is not one a mandate approves). */
    Verdict NONE = new None();

    record None() implements Verdict {}

    /** Approved by {@code mandate}; {@code used} is its count after this approval. */
    record Approved(IntentMandate mandate, Money used) implements Verdict {}

    /** In {@code mandate}'s scope but beyond its {@code bound}. */
    record Exceeded(IntentMandate mandate, String bound, String why, MandateTrust.Exceeded then) implements Verdict {}
  }

  private final EngineConfig config;
  private final Auditor auditor;
  /** In the order accepted, so that the first mandate that admits a checkpoint is always the same one. */
  private final Map<String, IntentMandate> held = java.util.Collections.synchronizedMap(new java.util.LinkedHashMap<>());
  private final Set<String> revoked = ConcurrentHashMap.newKeySet();

  MandateBook(EngineConfig config, Auditor auditor) {
    this.config = config;
    this.auditor = auditor;
  }

  @Override
  public IntentMandate accept(String jws) {
    MandateTrust trust = config.mandates();
    if (trust == null) {
      throw new InvalidRequestException("mandates", "this provisioner trusts no intent mandates",
          "configure AgentProvisioner.builder().mandates(MandateTrust.trusting(key)) with the approval UI's public key");
    }
    IntentMandate m = trust.verify(jws, config.clock().instant());
    if (revoked.contains(m.id())) {
      throw new InvalidRequestException("mandate", "'" + m.id() + "' was revoked", "ask the person for a new mandate");
    }
    IntentMandate before;
    synchronized (held) {
      before = held.putIfAbsent(m.id(), m);
    }
    if (before != null && !before.sha256().equals(m.sha256())) {
      throw new InvalidRequestException("mandate", "another mandate with the id '" + m.id() + "' is held",
          "a mandate id names one mandate; revoke the other first");
    }
    auditor.entry("mandate.accepted").agent(m.agent()).amount(m.total()).detail("mandate", m.id())
        .detail("person", m.person()).detail("provider", m.provider()).detail("services", String.join(",", m.services()))
        .detail("per_step", m.perStep().toString()).detail("not_before", m.notBefore().toString())
        .detail("expires_at", m.expiresAt().toString()).detail("issuer", m.issuer()).detail("key", m.keyId())
        .detail("sha256", m.sha256()).record();
    return m;
  }

  @Override
  public void revoke(String id, String reason) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(reason, "reason");
    revoked.add(id);
    IntentMandate m = held.remove(id);
    auditor.entry("mandate.revoked").agent(m == null ? null : m.agent()).detail("mandate", id).detail("reason", reason)
        .record();
  }

  @Override
  public List<IntentMandate> active() {
    Instant now = config.clock().instant();
    return held().stream().filter(m -> !revoked.contains(m.id()) && m.appliesAt(now)).toList();
  }

  @Override
  public Money used(String id) {
    IntentMandate m = held.get(Objects.requireNonNull(id, "id"));
    Usage u = usage(id);
    if (u != null) {
      return u.used();
    }
    return Money.zero(m == null ? "USD" : m.total().currencyCode());
  }

  /**
   * Judges a checkpoint against the mandates held: approved by the first whose every bound holds
   * (its count moved first), exceeded when one is for this person, agent and provider but none
   * admits it, none otherwise.
   */
  Verdict judge(Scope s, RunId run, StepId step, String approvalId) {
    MandateTrust trust = config.mandates();
    if (trust == null || held.isEmpty() || !COVERED.contains(s.kind()) || s.amount() == null || s.person() == null) {
      return Verdict.NONE;
    }
    Instant now = config.clock().instant();
    Verdict.Exceeded first = null;
    for (IntentMandate m : held()) {
      if (revoked.contains(m.id()) || !m.agent().equals(s.agent()) || !m.person().equals(s.person())
          || !m.provider().equals(s.provider())) {
        continue; // not this mandate's scope
      }
      String[] failed = bounds(m, s, now);
      if (failed == null) {
        failed = consume(m, s.amount(), run, step, approvalId);
        if (failed == null) {
          return new Verdict.Approved(m, used(m.id()));
        }
      }
      if (first == null) {
        first = new Verdict.Exceeded(m, failed[0], failed[1], trust.exceeded());
      }
    }
    return first != null ? first : Verdict.NONE;
  }

  /** The first bound {@code s} breaks, as {bound, why}, or null when it keeps them all (but the total, checked when counting). */
  private static String @Nullable [] bounds(IntentMandate m, Scope s, Instant now) {
    if (now.isBefore(m.notBefore())) {
      return new String[] {"not_before", "mandate " + m.id() + " applies from " + m.notBefore()};
    }
    if (!now.isBefore(m.expiresAt())) {
      return new String[] {"expiry", "mandate " + m.id() + " expired at " + m.expiresAt()};
    }
    for (String svc : s.services()) {
      if (!m.services().contains(svc)) {
        return new String[] {"services", svc + " is not among the services of mandate " + m.id() + " " + m.services()};
      }
    }
    Money amount = Objects.requireNonNull(s.amount());
    if (!amount.sameCurrency(m.total())) {
      return new String[] {"currency", amount + " is not in " + m.total().currencyCode() + ", the currency of mandate "
          + m.id()};
    }
    for (Money step : s.perStep()) {
      if (!step.sameCurrency(m.perStep()) || step.greaterThan(m.perStep())) {
        return new String[] {"per_step", step + " is more than the " + m.perStep() + " per step of mandate " + m.id()};
      }
    }
    return null;
  }

  /**
   * Counts {@code amount} against {@code m}'s total in the journal, by compare-and-set; null when
   * counted, {bound, why} when it would pass the total.
   */
  private String @Nullable [] consume(IntentMandate m, Money amount, RunId run, StepId step, String approvalId) {
    RunId counter = counter(m.id());
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      StepRecord cur = config.journal().step(counter, USES).orElse(null);
      String json = cur == null ? null : cur.output();
      Usage u = json == null ? new Usage(m.id(), Money.zero(m.total().currencyCode()), 0)
          : OutputCodec.decode(json, Usage.class, counter, USES);
      Money after = u.used().plus(amount);
      if (after.greaterThan(m.total())) {
        return new String[] {"total", "mandate " + m.id() + " has approved " + u.used() + " of " + m.total()
            + "; " + amount + " more would pass it"};
      }
      Instant now = config.clock().instant();
      StepRecord next = (cur == null ? StepRecord.builder(counter, USES).updatedAt(now) : cur.next(now))
          .status(StepStatus.SUCCEEDED).output(OutputCodec.encode(new Usage(m.id(), after, u.uses() + 1)))
          .progress(OutputCodec.encode(new LastUse(run, step, approvalId))).build();
      if (config.journal().saveStep(next)) {
        return null;
      }
    }
    throw new AgentProvisionException("mandate " + m.id() + "'s count changed " + MAX_ATTEMPTS + " times while one "
        + "approval was counted; ask again", null, true);
  }

  /** The approval a mandate's count last moved for, journaled beside the count. */
  record LastUse(RunId run, StepId step, String approvalId) {}

  private @Nullable Usage usage(String id) {
    RunId counter = counter(id);
    StepRecord r = config.journal().step(counter, USES).orElse(null);
    String json = r == null ? null : r.output();
    return json == null ? null : OutputCodec.decode(json, Usage.class, counter, USES);
  }

  /** The journal's run id holding mandate {@code id}'s count: a hash, since a mandate id may hold any character. */
  static RunId counter(String id) {
    return RunId.of("mandate." + Digests.sha256Hex(id).substring(0, 32));
  }

  /** The mandates held, for a report of them. */
  List<IntentMandate> held() {
    synchronized (held) {
      return new ArrayList<>(held.values());
    }
  }
}
