package io.agentprovision.core.policy;

/**
 * What a {@link VelocityLimit} counts: the things an agent can create for a person that are worth
 * limiting by number, whatever they cost.
 */
public enum VelocityAction {
  /** A provider account created for the person (linking an account they already had is not counted). */
  CREATE_ACCOUNT,
  /** A paid plan subscribed to. */
  CREATE_PAID_PLAN,
  /** A domain registered. */
  CREATE_DOMAIN,
  /** A deploy token minted. */
  CREATE_TOKEN
}
