package io.agentprovision.core.orchestration;

import org.jspecify.annotations.Nullable;

/**
 * Whether a payment method is on file for paid steps.
 *
 * @param ready whether paid steps can be charged
 * @param display a safe description such as {@code "card •••• 4242"}, when known
 */
public record PaymentMethodStatus(boolean ready, @Nullable String display) {}
