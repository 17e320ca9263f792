/**
 * Loopback sandboxes of Stripe, a provider speaking the provider protocol, the Cloudflare v4 API and
 * an OIDC issuer, and {@link io.agentprovision.testing.sandbox.LocalSandbox}, which wires them as the
 * real systems are. Brings the in-memory fakes of {@code io.agentprovision.testing} along.
 */
module io.agentprovision.testing.sandbox {
  exports io.agentprovision.testing.sandbox;
  exports io.agentprovision.testing.cloudflare;
  exports io.agentprovision.testing.oidc;
  exports io.agentprovision.testing.protocol;
  exports io.agentprovision.testing.provider2;
  exports io.agentprovision.testing.stripe;

  requires transitive io.agentprovision.testing;
  requires transitive io.agentprovision.core;
  requires transitive io.agentprovision.stripe;
  requires transitive io.agentprovision.cloudflare;
  requires transitive mockwebserver3;
  requires com.squareup.moshi;
  requires com.nimbusds.jose.jwt;
  requires jdk.httpserver;
  requires java.net.http;
  requires org.slf4j;
  requires static org.jspecify;

  // the independent provider simulator binds its request bodies with moshi's reflective adapters
  opens io.agentprovision.testing.provider2.internal to com.squareup.moshi;
}
