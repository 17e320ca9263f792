/**
 * Test support for agentprovision and for the applications that embed it: a stateful in-memory
 * fake of every SPI, virtual time, scripted approvals, and loopback sandboxes of the remote
 * systems (Stripe, the provider protocol, Cloudflare v4, an OIDC issuer).
 *
 * <p>To run the whole provisioning flow offline, combine {@link io.agentprovision.testing.VirtualTime}
 * (clock and sleeper), {@link io.agentprovision.testing.ScriptedApprovalGate} (the human),
 * {@link io.agentprovision.testing.FakeIdentityProvider}, {@link io.agentprovision.testing.FakeOrchestrator},
 * {@link io.agentprovision.testing.FakePaymentTokens} and {@link io.agentprovision.testing.RecordingDeployer};
 * to call a plug-in directly, give it a {@link io.agentprovision.testing.FakeStepContext}. Every fake
 * records its calls and can be made to fail or to "crash" on a chosen call through the shared
 * {@link io.agentprovision.testing.FaultInjector}; a crash is a
 * {@link io.agentprovision.testing.SimulatedCrash}, an {@link java.lang.Error}, so that it escapes an
 * engine's exception handling as a dying process would.
 *
 * <p>To run the SDK's real adapters instead, start a {@link io.agentprovision.testing.sandbox.LocalSandbox}: the
 * Stripe, provider, Cloudflare and OIDC sandboxes wired together on loopback as the real systems are.
 */
@NullMarked
package io.agentprovision.testing;

import org.jspecify.annotations.NullMarked;
