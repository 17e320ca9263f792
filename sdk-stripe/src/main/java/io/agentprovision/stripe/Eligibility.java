package io.agentprovision.stripe;

import java.util.List;

/**
 * Whether Stripe lets this account provision resources, and what must be done first.
 *
 * @param eligible whether provisioning is allowed now
 * @param requirements outstanding requirements (such as KYC fields), empty when eligible
 */
public record Eligibility(boolean eligible, List<String> requirements) {
  public Eligibility {
    requirements = List.copyOf(requirements);
  }
}
