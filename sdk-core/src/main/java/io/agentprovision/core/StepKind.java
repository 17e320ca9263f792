package io.agentprovision.core;

/** What a step of a run does. */
public enum StepKind {
  /** Establish the human principal. */
  IDENTITY,
  /** A human approves the plan and its price (skipped when nothing needs approval). */
  PLAN_APPROVAL,
  /** Accept the provider's terms and create or link the provider account. */
  ACCOUNT,
  /** Make sure a payment method is on file. */
  PAYMENT_METHOD,
  /** Subscribe to the plan (paid). */
  PLAN,
  /** Provision the deployable service the app runs on. */
  RESOURCE,
  /** Find, buy and register the domain (paid, not refundable). */
  DOMAIN,
  /** Reveal the broad credential, mint the narrow deploy token, retire the broad one. */
  CREDENTIALS,
  /** Upload the app and bind its hostnames. */
  DEPLOY,
  /** Check that the app answers. */
  VERIFY
}
