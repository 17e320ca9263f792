package io.agentprovision.core.internal.engine;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.approval.CheckpointRequest;
import io.agentprovision.core.identity.IdentityRejectedException;
import io.agentprovision.core.identity.IdentityRequest;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.internal.random.StripedSecureRandom;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.core.spi.IdentityProvider;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The one place a second factor is demanded, in a run ({@link StepRun#stepUp}) and outside one
 * (raising a limit). A step-up is a {@link CheckpointKind#STEP_UP} checkpoint whose details carry a
 * fresh {@code nonce} made here; the host signs the person in again with a second factor, sending
 * that nonce in its authentication request, and hands the new ID token back as the decision's
 * credential. The token must carry the nonce (the identity provider checks it, and refuses a token
 * used before), name the same person as the one acting (subject and issuer), show a second factor,
 * and come from a sign-in ({@code auth_time}) no older than the policy's
 * {@link SpendPolicy#stepUpMaxAge()} by the engine's clock. Every refusal is audited.
 */
final class StepUp {
  /** How far ahead of ours an issuer's clock may be for {@code auth_time}. */
  static final Duration CLOCK_SKEW = Duration.ofSeconds(60);
  private static final SecureRandom RANDOM = StripedSecureRandom.SHARED;

  private final EngineConfig config;
  private final Auditor auditor;

  StepUp(EngineConfig config, Auditor auditor) {
    this.config = config;
    this.auditor = auditor;
  }

  /** Whether {@code p} showed a second factor at a sign-in recent enough for {@code policy}. */
  boolean recent(@Nullable Principal p, SpendPolicy policy) {
    if (p == null || !p.multiFactor()) {
      return false;
    }
    Instant at = p.authTime();
    Instant now = config.clock().instant();
    return at != null && !at.isBefore(now.minus(policy.stepUpMaxAge())) && !at.isAfter(now.plus(CLOCK_SKEW));
  }

  /**
   * Refuses, with the fix, an identity provider that cannot verify a step-up, before anything is
   * asked; {@code kinds} are the checkpoints that need the second factor, {@code context} says where.
   */
  static void requireSupport(IdentityProvider identity, Collection<CheckpointKind> kinds, String context) {
    if (!identity.supportsStepUp()) {
      String what = String.join(", ", kinds.stream().map(Enum::name).toList());
      throw new InvalidRequestException("identity", "the spend policy requires a second factor before " + what
          + context + ", and the identity provider " + identity.getClass().getSimpleName() + " cannot verify a "
          + "step-up (a fresh, nonce-bound sign-in with a second factor)",
          "attest people with an OidcIdentityProvider, which verifies step-ups, or take " + what
              + " out of SpendPolicy.requireMfaFor(...)");
    }
  }

  /**
   * Asks {@code current} to step up before {@code forKind} and returns the principal the fresh
   * sign-in attested.
   *
   * @param who the run, step and agent for the audit log (the principal there is {@code current})
   * @param ask puts the step-up checkpoint to the gate (in a run: journaled with the step)
   * @throws IdentityRejectedException when the answer is no fresh second factor of the same person
   */
  Principal require(CheckpointKind forKind, Principal current, Checkpoints.Asker who,
      Function<CheckpointRequest, ApprovalDecision> ask) {
    SpendPolicy policy = config.spendPolicy();
    requireSupport(config.identity(), java.util.List.of(forKind), "");
    String nonce = nonce();
    Map<String, String> details = new LinkedHashMap<>();
    details.put("nonce", nonce);
    details.put("for", forKind.name());
    details.put("subject", current.subject());
    details.put("issuer", current.issuer());
    details.put("max_age_seconds", String.valueOf(policy.stepUpMaxAge().toSeconds()));
    ApprovalDecision d = ask.apply(CheckpointRequest.confirm(CheckpointKind.STEP_UP,
        "Confirm it is you with a second factor", "the spend policy requires a second factor, from a sign-in at most "
            + policy.stepUpMaxAge() + " old, before " + forKind).withDetails(details));
    Secret fresh = d.credential();
    if (fresh == null) {
      throw rejected(who, forKind, new IdentityRejectedException("mfa", "the step-up returned no ID token; sign the "
          + "person in again with a second factor, sending the checkpoint's nonce, and hand over the new ID token"));
    }
    Principal next;
    try {
      next = config.identity().attest(new IdentityRequest(who.agent(), who.run(), fresh, nonce, true));
    } catch (IdentityRejectedException e) {
      throw rejected(who, forKind, e);
    }
    if (!next.subject().equals(current.subject()) || !next.issuer().equals(current.issuer())) {
      throw rejected(who, forKind, new IdentityRejectedException("subject", "the second factor was shown by "
          + next.display() + ", not by " + current.display() + " for whom the agent acts"));
    }
    if (!next.multiFactor()) {
      throw rejected(who, forKind, new IdentityRejectedException("mfa", "the fresh sign-in shows no second factor (amr "
          + next.amr() + ")"));
    }
    Instant at = next.authTime();
    Instant now = config.clock().instant();
    if (at == null) {
      throw rejected(who, forKind, new IdentityRejectedException("auth_time", "the fresh sign-in does not say when the "
          + "person signed in (auth_time), so whether the second factor is recent cannot be told"));
    }
    if (at.isBefore(now.minus(policy.stepUpMaxAge()))) {
      throw rejected(who, forKind, new IdentityRejectedException("auth_time", "the person signed in at " + at
          + ", more than " + policy.stepUpMaxAge() + " ago; sign in again with a second factor"));
    }
    if (at.isAfter(now.plus(CLOCK_SKEW))) {
      throw rejected(who, forKind, new IdentityRejectedException("auth_time", "the sign-in is dated " + at
          + ", in the future by more than " + CLOCK_SKEW));
    }
    auditor.entry("identity.stepped_up").run(who.run()).step(who.step()).agent(who.agent()).principal(next)
        .approver(d.approver()).detail("amr", String.join(",", next.amr())).detail("for", forKind.name())
        .detail("auth_time", at.toString()).record();
    return next;
  }

  private IdentityRejectedException rejected(Checkpoints.Asker who, CheckpointKind forKind,
      IdentityRejectedException e) {
    auditor.entry("identity.step_up_rejected").run(who.run()).step(who.step()).agent(who.agent())
        .principal(who.principal()).outcome("rejected").detail("check", e.check()).detail("for", forKind.name())
        .record();
    return e;
  }

  /** 256 random bits, base64url: unguessable, and fresh for every step-up. */
  private static String nonce() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }
}
