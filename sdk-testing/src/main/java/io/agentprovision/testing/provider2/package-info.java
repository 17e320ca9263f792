/**
 * A second, independently written provider of the provisioning protocol (Layer B, {@code 0.1d}):
 * {@link io.agentprovision.testing.provider2.IndependentProviderSimulator}, with the shapes a real
 * provider may send switched on per instance as {@link io.agentprovision.testing.provider2.Variant}s,
 * and what it records for tests: {@link io.agentprovision.testing.provider2.RecordedExchange} (every
 * request and answer) and {@link io.agentprovision.testing.provider2.SimulatorCharge} (every charge).
 *
 * <p>It was written from the protocol description only, without the code of
 * {@link io.agentprovision.testing.protocol.ProviderSandbox} (which was written together with the SDK's
 * client and shares its guesses), so that a client tested against both is tested against two readings
 * of the same description. It shares only the world behind the protocol:
 * {@link io.agentprovision.testing.protocol.Backend} (accounts, credentials, domains) and
 * {@link io.agentprovision.testing.protocol.PaymentCharger} (payment tokens).
 */
@NullMarked
package io.agentprovision.testing.provider2;

import org.jspecify.annotations.NullMarked;
