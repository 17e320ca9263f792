/**
 * A loopback simulator of the Stripe endpoints the SDK uses: {@link
 * io.agentprovision.testing.stripe.StripeSandbox} (Provisioning API v2, Shared Payment Tokens,
 * PaymentIntents charging them), its seam toward providers ({@link
 * io.agentprovision.testing.stripe.ProviderLink}) and an in-process provider standing in for the
 * protocol's provider sandbox ({@link io.agentprovision.testing.stripe.InProcessProvider}).
 */
@NullMarked
package io.agentprovision.testing.stripe;

import org.jspecify.annotations.NullMarked;
