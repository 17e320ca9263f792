package io.agentprovision.core.spi;

import io.agentprovision.core.identity.IdentityRequest;
import io.agentprovision.core.identity.Principal;

/**
 * Establishes who the human is. Implementations verify evidence (an ID token's signature, issuer,
 * audience, lifetime, nonce) and report verified fields and authentication strength.
 * Thread-safe. A provider that can verify a nonce-bound second-factor sign-in says so with
 * {@link #supportsStepUp()}.
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

  /**
   * Whether this provider can verify a step-up: evidence from a fresh sign-in with a second factor,
   * bound to the {@link IdentityRequest#nonce() nonce} the engine generated for it (refused when the
   * nonce is missing or another), showing the second factor in {@code amr} or {@code acr} and when the
   * person signed in ({@link Principal#authTime()}). The engine refuses a run that would need a
   * step-up at {@code plan} when its identity provider says no here, rather than fail at the paid
   * step.
   *
   * <p>False by default: a provider that does not say it checks the nonce may accept a token from an
   * earlier sign-in as a step-up. {@code OidcIdentityProvider} says yes; Stripe-attested identity,
   * which carries no authentication strength, says no.
   */
  default boolean supportsStepUp() {
    return false;
  }
}
