/**
 * A stateful loopback sandbox of a provider that speaks the provisioning protocol (Layer B,
 * {@code 0.1d}) with a Cloudflare-like catalog: {@link io.agentprovision.testing.protocol.ProviderSandbox},
 * and its two seams, {@link io.agentprovision.testing.protocol.PaymentCharger} (how a payment token is
 * charged) and {@link io.agentprovision.testing.protocol.Backend} (what the provider does behind the
 * protocol).
 */
@NullMarked
package io.agentprovision.testing.protocol;

import org.jspecify.annotations.NullMarked;
