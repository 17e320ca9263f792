package io.agentprovision.core.spi;

import io.agentprovision.core.identity.IdentityRequest;
import io.agentprovision.core.identity.Principal;

/**
 * Establishes who the human is. Implementations verify evidence (an ID token's signature, issuer,
 * audience, lifetime, nonce) and report verified fields and authentication strength.
 * Thread-safe.
 *
 * <p>Shipped: {@code OidcIdentityProvider} (any OIDC issuer) and Stripe-attested identity in
 * {@code sdk-stripe}.
 */
@FunctionalInterface
public interface IdentityProvider {
  /**
   * Verifies the evidence and returns the principal.
   *
   * @throws io.agentprovision.core.identity.IdentityRejectedException when verification fails, the e-mail is
   *     not verified, or MFA was required and not shown; the message names the check, never the token
   */
  Principal attest(IdentityRequest request);
}
