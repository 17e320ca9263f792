package io.agentprovision.cloudflare;

import io.agentprovision.core.Money;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A domain the account now holds.
 *
 * @param domain the domain name
 * @param charged what was committed against the spend reservation (zero when it was already registered)
 * @param alreadyRegistered whether the account held it before this purchase (nothing was bought)
 * @param sandbox whether it went through the free registrar sandbox
 * @param zoneId the zone Cloudflare created for it, when known (never for the sandbox)
 */
public record PurchasedDomain(String domain, Money charged, boolean alreadyRegistered, boolean sandbox,
    @Nullable String zoneId) {
  public PurchasedDomain {
    Objects.requireNonNull(domain, "domain");
    Objects.requireNonNull(charged, "charged");
  }

  /** The same purchase with the zone id filled in. */
  public PurchasedDomain withZoneId(@Nullable String id) {
    return new PurchasedDomain(domain, charged, alreadyRegistered, sandbox, id);
  }
}
