package io.agentprovision.core.internal.engine;

import io.agentprovision.core.StepId;

/** The fixed step ids of a run. */
final class StepIds {
  static final StepId IDENTITY = StepId.of("identity");
  static final StepId APPROVAL = StepId.of("plan-approval");
  static final StepId ACCOUNT = StepId.of("account");
  static final StepId PAYMENT = StepId.of("payment-method");
  static final StepId PLAN = StepId.of("plan");
  static final StepId RESOURCE = StepId.of("resource");
  static final StepId DOMAIN = StepId.of("domain");
  static final StepId CREDENTIALS = StepId.of("credentials");
  static final StepId DEPLOY = StepId.of("deploy");
  static final StepId VERIFY = StepId.of("verify");

  private StepIds() {}
}
