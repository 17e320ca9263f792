/**
 * The Cloudflare v4 API client and {@link io.agentprovision.cloudflare.CloudflareDeployer}: Workers
 * upload, workers.dev and custom domains, zones, least-privilege API tokens and the registrar.
 */
module io.agentprovision.cloudflare {
  exports io.agentprovision.cloudflare;
  // moshi binds the wire records of Cloudflare's answers by reflection, and sdk-core's record
  // binding calls their constructors through method handles
  opens io.agentprovision.cloudflare.internal to com.squareup.moshi, io.agentprovision.core;

  requires transitive io.agentprovision.core;
  requires org.slf4j;
  requires static org.jspecify;
}
