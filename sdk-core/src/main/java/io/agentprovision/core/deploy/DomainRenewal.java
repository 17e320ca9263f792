package io.agentprovision.core.deploy;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Where a domain registration stands after {@code Deployer.stopAutoRenew}: whether it still renews
 * itself, when it expires, and whether the registrar let the SDK change its renewal at all.
 *
 * @param domain the registered name
 * @param autoRenew whether it renews itself now (true when the SDK could not turn renewal off, as far as it knows)
 * @param expiresAt when the registration lapses, when the registrar says
 * @param supported whether the registrar's API lets the SDK turn renewal off
 * @param changed whether this call turned it off (false when it already was, or could not be)
 * @param note why renewal could not be changed, for the person reading the teardown
 */
public record DomainRenewal(String domain, boolean autoRenew, @Nullable Instant expiresAt, boolean supported,
    boolean changed, @Nullable String note) {
  public DomainRenewal {
    Objects.requireNonNull(domain, "domain");
  }

  /** The registrar turned renewal off (or it already was), and the registration expires at {@code expiresAt}. */
  public static DomainRenewal off(String domain, @Nullable Instant expiresAt, boolean changed) {
    return new DomainRenewal(domain, false, expiresAt, true, changed, null);
  }

  /** The SDK cannot change this registration's renewal; it is reported as staying on, for the reason given. */
  public static DomainRenewal unsupported(String domain, String why) {
    return new DomainRenewal(domain, true, null, false, false, Objects.requireNonNull(why, "why"));
  }
}
