/**
 * agentprovision's core: the public API ({@code io.agentprovision.core} and the packages by
 * concern), the plug-in interfaces ({@code io.agentprovision.core.spi}), and the engine, stores and
 * protocol client behind them. Only the API and SPI packages are exported; {@code internal} packages
 * are the module's own.
 */
module io.agentprovision.core {
  exports io.agentprovision.core;
  exports io.agentprovision.core.approval;
  exports io.agentprovision.core.audit;
  exports io.agentprovision.core.catalog;
  exports io.agentprovision.core.deploy;
  exports io.agentprovision.core.http;
  exports io.agentprovision.core.identity;
  exports io.agentprovision.core.journal;
  exports io.agentprovision.core.orchestration;
  exports io.agentprovision.core.payment;
  exports io.agentprovision.core.policy;
  exports io.agentprovision.core.protocol;
  exports io.agentprovision.core.report;
  exports io.agentprovision.core.spi;
  exports io.agentprovision.core.vault;
  exports io.agentprovision.core.wire;

  // moshi binds the remote answers' records by reflection
  opens io.agentprovision.core.internal.catalog to com.squareup.moshi;
  opens io.agentprovision.core.internal.protocol to com.squareup.moshi;
  opens io.agentprovision.core.internal.wire to com.squareup.moshi;

  requires static transitive org.jspecify;
  requires transitive okhttp3;
  requires transitive com.squareup.moshi;
  requires com.nimbusds.jose.jwt;
  requires com.ibm.icu;
  requires com.networknt.schema;
  requires io.github.resilience4j.core;
  requires io.github.resilience4j.retry;
  requires io.github.resilience4j.circuitbreaker;
  requires io.github.resilience4j.ratelimiter;
  requires org.slf4j;
}
