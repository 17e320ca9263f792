/**
 * Stripe as orchestrator (Provisioning API v2 through stripe-java), Shared Payment Tokens and
 * Stripe-attested identity.
 */
module io.agentprovision.stripe {
  exports io.agentprovision.stripe;
  // moshi binds the records of Stripe's answers by reflection, and sdk-core's record
  // binding calls their constructors through method handles
  opens io.agentprovision.stripe.internal to com.squareup.moshi, io.agentprovision.core;

  requires transitive io.agentprovision.core;
  requires com.stripe;
  requires org.slf4j;
  requires static org.jspecify;
}
