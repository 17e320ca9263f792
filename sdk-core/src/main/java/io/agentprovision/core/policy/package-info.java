/**
 * Spend policy and its accounting: {@link io.agentprovision.core.policy.SpendPolicy} and its
 * {@link io.agentprovision.core.policy.SpendLimit}s, what a limit has used
 * ({@link io.agentprovision.core.policy.LimitUsage}), the ledger's reservations, and the refusal a
 * limit gives ({@link io.agentprovision.core.policy.PolicyViolationException}).
 *
 * <p>Everything here is non-null unless annotated {@code @Nullable}.
 */
@NullMarked
package io.agentprovision.core.policy;

import org.jspecify.annotations.NullMarked;
