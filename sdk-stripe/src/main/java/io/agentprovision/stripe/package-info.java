/**
 * Stripe as orchestrator: {@link io.agentprovision.stripe.StripeProjects} over Stripe's
 * Provisioning API v2, {@link io.agentprovision.stripe.StripeSharedPaymentTokens} for Shared
 * Payment Tokens, {@link io.agentprovision.stripe.StripeAttestedIdentity} for the identity Stripe
 * attests, all sharing one {@link io.agentprovision.stripe.StripeApi} (one stripe-java client).
 *
 * <p>Everything here is non-null unless annotated {@code @Nullable}.
 */
@NullMarked
package io.agentprovision.stripe;

import org.jspecify.annotations.NullMarked;
