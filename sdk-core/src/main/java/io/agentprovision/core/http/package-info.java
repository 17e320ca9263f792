/**
 * HTTP machinery shared by every adapter: the {@link io.agentprovision.core.http.HttpStack} (one
 * okhttp client per provisioner, and the only retry layer: {@code Retry-After} honoured, circuit
 * breakers and rate limiters per provider), its configuration
 * {@link io.agentprovision.core.http.ResiliencePolicy}, {@link io.agentprovision.core.http.RetryAfter},
 * and {@link io.agentprovision.core.http.Polling} for waiting on remote work with the injected sleeper.
 *
 * <p>Everything here is non-null unless annotated {@code @Nullable}.
 */
@NullMarked
package io.agentprovision.core.http;

import org.jspecify.annotations.NullMarked;
