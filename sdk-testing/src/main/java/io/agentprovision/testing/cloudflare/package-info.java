/**
 * A stateful loopback simulator of the Cloudflare v4 API subset the SDK calls
 * ({@link io.agentprovision.testing.cloudflare.CloudflareSandbox}), and a local workerd runtime
 * ({@link io.agentprovision.testing.cloudflare.WorkerdRuntime}) that serves the Workers uploaded to
 * it, so a deployed app really answers.
 */
@NullMarked
package io.agentprovision.testing.cloudflare;

import org.jspecify.annotations.NullMarked;
