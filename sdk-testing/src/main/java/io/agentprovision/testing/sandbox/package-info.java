/**
 * {@link io.agentprovision.testing.sandbox.LocalSandbox}: Stripe's Provisioning API, a provider
 * speaking the provider protocol, the Cloudflare v4 API (with workerd) and an OIDC issuer, all on
 * loopback and wired to each other as the real systems are, for the SDK's real adapters.
 */
@NullMarked
package io.agentprovision.testing.sandbox;

import org.jspecify.annotations.NullMarked;
