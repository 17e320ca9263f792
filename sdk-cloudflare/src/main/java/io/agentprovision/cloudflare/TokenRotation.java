package io.agentprovision.cloudflare;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.deploy.DeployCredentials;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Says which deploy credentials should be renewed before they expire, for a scheduler to act on
 * (the engine calls {@link CloudflareDeployer#renew} for each and writes the new value to the
 * vault). A Cloudflare roll keeps a token's {@code expires_on}, so a credential close to expiry
 * needs a renewal (new expiry, then a new value), not only a roll.
 *
 * <pre>{@code
 * TokenRotation rotation = TokenRotation.withLead(Duration.ofDays(1));
 * for (DeployCredentials c : rotation.due(allDeployCredentials, clock)) {
 *   DeployCredentials renewed = deployer.renew(c, broadToken, Duration.ofDays(7), ctx);
 *   vault.put(...renewed.token()...);
 * }
 * Instant wakeUp = rotation.nextCheck(allDeployCredentials);
 * }</pre>
 */
public final class TokenRotation {
  /** How long before expiry a credential becomes due when no lead is given. */
  public static final Duration DEFAULT_LEAD = Duration.ofHours(24);

  private final Duration lead;

  private TokenRotation(Duration lead) {
    this.lead = lead;
  }

  /** Renews credentials {@link #DEFAULT_LEAD} before they expire. */
  public static TokenRotation ofDefaults() {
    return new TokenRotation(DEFAULT_LEAD);
  }

  /** Renews credentials {@code lead} before they expire. */
  public static TokenRotation withLead(Duration lead) {
    Objects.requireNonNull(lead, "lead");
    if (lead.isNegative()) {
      throw new InvalidRequestException("lead", "must not be negative (was " + lead + ")", "pass a duration such as 24 hours");
    }
    return new TokenRotation(lead);
  }

  public Duration lead() {
    return lead;
  }

  /** Whether {@code credentials} expire within the lead from {@code now} (or already have). */
  public boolean isDue(DeployCredentials credentials, Instant now) {
    Instant at = dueAt(credentials);
    return at != null && !now.isBefore(at);
  }

  /** When the credential becomes due: its expiry minus the lead; null when it never expires. */
  public @Nullable Instant dueAt(DeployCredentials credentials) {
    Instant exp = credentials.expiresAt();
    return exp == null ? null : exp.minus(lead);
  }

  /** The credentials due now, soonest expiry first. */
  public List<DeployCredentials> due(Collection<DeployCredentials> credentials, Clock clock) {
    Instant now = clock.instant();
    List<DeployCredentials> out = new ArrayList<>();
    for (DeployCredentials c : credentials) {
      if (isDue(c, now)) {
        out.add(c);
      }
    }
    out.sort(Comparator.comparing(DeployCredentials::expiresAt));
    return out;
  }

  /** When the next credential becomes due, for a scheduler to sleep until; null when none expires. */
  public @Nullable Instant nextCheck(Collection<DeployCredentials> credentials) {
    Instant next = null;
    for (DeployCredentials c : credentials) {
      Instant at = dueAt(c);
      if (at != null && (next == null || at.isBefore(next))) {
        next = at;
      }
    }
    return next;
  }
}
