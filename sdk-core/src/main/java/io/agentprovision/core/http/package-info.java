/**
 * HTTP machinery shared by every adapter: {@link io.agentprovision.core.http.ResiliencePolicy} and
 * the okhttp {@link io.agentprovision.core.http.ResilienceInterceptor} (retries honouring
 * {@code Retry-After}, circuit breaker, rate limiter), and
 * {@link io.agentprovision.core.http.Polling} for waiting on remote work with the injected sleeper.
 *
 * <p>Everything here is non-null unless annotated {@code @Nullable}.
 */
@NullMarked
package io.agentprovision.core.http;

import org.jspecify.annotations.NullMarked;
