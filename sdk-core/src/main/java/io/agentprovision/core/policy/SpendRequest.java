package io.agentprovision.core.policy;

import io.agentprovision.core.Money;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.spi.StepContext;
import java.util.Map;
import java.util.Objects;

/**
 * What a plug-in asks to spend through {@link StepContext#authorizeSpend}.
 *
 * @param kind the kind of purchase ({@link CheckpointKind#PAID_PLAN}, {@link CheckpointKind#DOMAIN_PURCHASE},
 *     {@link CheckpointKind#PAID_RESOURCE}); decides whether MFA is needed
 * @param provider the provider that will charge
 * @param amount the quoted price: the most that may be charged
 * @param description what is being bought, for the human and the audit log
 * @param details more facts to show (never secrets)
 */
public record SpendRequest(CheckpointKind kind, String provider, Money amount, String description,
    Map<String, String> details) {
  public SpendRequest {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(amount, "amount").requireNonNegative("amount");
    Objects.requireNonNull(description, "description");
    details = Map.copyOf(details);
  }
}
