/**
 * Cloudflare for agentprovision: a v4 API client ({@link io.agentprovision.cloudflare.CloudflareClient})
 * with its operation groups (API tokens, Workers, zones, the Registrar), least-privilege token
 * minting ({@link io.agentprovision.cloudflare.LeastPrivilege}), paid domain registration
 * ({@link io.agentprovision.cloudflare.DomainPurchase}) and the
 * {@link io.agentprovision.cloudflare.CloudflareDeployer}, the {@code Deployer} that puts Workers live.
 *
 * <p>Everything here is non-null unless annotated {@code @Nullable}.
 */
@NullMarked
package io.agentprovision.cloudflare;

import org.jspecify.annotations.NullMarked;
