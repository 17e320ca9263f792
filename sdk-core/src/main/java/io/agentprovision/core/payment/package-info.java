/**
 * Payment tokens: what the engine authorizes a paid call to spend
 * ({@link io.agentprovision.core.payment.PaymentAuthorization}), and the scoped tokens a
 * {@link io.agentprovision.core.spi.PaymentTokenProvider} issues for it.
 *
 * <p>Everything here is non-null unless annotated {@code @Nullable}.
 */
@NullMarked
package io.agentprovision.core.payment;

import org.jspecify.annotations.NullMarked;
