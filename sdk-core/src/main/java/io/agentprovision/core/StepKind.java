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
  VERIFY,
  /** A human approves a change to what a run provisioned that cannot be taken back (a removal, an unlink, a teardown). */
  CHANGE_APPROVAL,
  /** Change a plan to another the catalog allows (an upgrade or a downgrade). */
  PLAN_CHANGE,
  /** Remove a resource at the provider (cancels a plan; a registered domain is never removed). */
  REMOVE_RESOURCE,
  /** Take a deployed app down and unbind its hostnames. */
  UNDEPLOY,
  /** Roll the deploy token's value and renew its lifetime. */
  ROTATE_TOKEN,
  /** Delete the deploy token at the provider and from the vault. */
  REVOKE_TOKEN,
  /** Turn a registered domain's automatic renewal off, where the registrar allows it. */
  DOMAIN_RENEWAL,
  /** Have the orchestrator forget the provider account (the account and its resources stay at the provider). */
  UNLINK_ACCOUNT
}
