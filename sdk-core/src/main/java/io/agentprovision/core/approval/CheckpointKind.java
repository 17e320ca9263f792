package io.agentprovision.core.approval;

import io.agentprovision.core.policy.SpendPolicy;

/**
 * What a human checkpoint is about. Approval gates may present each kind differently (a yes/no
 * dialog, a link to follow), and {@link SpendPolicy} names the kinds that need multi-factor
 * authentication.
 */
public enum CheckpointKind {
  /** The plan as a whole, with its steps and prices, before anything is executed. */
  PLAN_APPROVAL(false),
  /** Subscribing to a paid plan, such as {@code workers:paid}. */
  PAID_PLAN(true),
  /** Registering a domain: billable and non-refundable. */
  DOMAIN_PURCHASE(true),
  /** Any other paid resource. */
  PAID_RESOURCE(true),
  /** Accepting a provider's terms of service. */
  TERMS_OF_SERVICE(false),
  /** Consenting, in a browser, to link an existing provider account (OAuth). The decision carries the callback parameters. */
  ACCOUNT_CONSENT(false),
  /** Adding a payment method at a checkout page. */
  PAYMENT_METHOD(false),
  /**
   * Authenticating a payment (3-D Secure): the payment token the step needs answered
   * {@code requires_action}, and the person confirms the payment at their bank's page
   * ({@link CheckpointRequest#url()}, with the amount at stake as its cost). Never approved by policy
   * alone; declining or not answering in time revokes the token and charges nothing.
   */
  PAYMENT_AUTHENTICATION(true),
  /** Raising a spend limit, here or at the orchestrator. */
  RAISE_LIMIT(true),
  /** Authenticating again with a second factor; the decision carries the fresh credential. */
  STEP_UP(false),
  /** Something only a person can do at the provider (for example a registrar asking for documents). */
  ACTION_REQUIRED(false),
  /**
   * Buying a domain name that looks like another (mixed scripts, a whole-script confusable, or a
   * protected name's look-alike), when the host's {@link io.agentprovision.core.DomainNames.LookalikePolicy} sends such
   * names to a person. The details show the Unicode form ({@code domain_unicode}), the ASCII form
   * ({@code domain}) and what it resembles ({@code resembles}). Never approved by policy alone.
   */
  LOOKALIKE_DOMAIN(false),
  /**
   * A change to what a run provisioned that cannot be taken back: removing a resource, unlinking the
   * provider account, tearing a deployment down. The details list what is done and what stays (a
   * registered domain, charges already made). Never approved by policy alone, nor by an intent mandate.
   */
  CHANGE_APPROVAL(false);

  private final boolean spendsMoney;

  CheckpointKind(boolean spendsMoney) {
    this.spendsMoney = spendsMoney;
  }

  /** Whether approving this kind can move money. */
  public boolean spendsMoney() {
    return spendsMoney;
  }
}
