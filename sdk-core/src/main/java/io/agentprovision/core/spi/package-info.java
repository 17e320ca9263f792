/**
 * Service-provider interfaces: what plug-ins implement (orchestrators, identity providers, payment
 * token providers, deployers, approval gates, ledgers, audit logs, vaults, run journals and
 * listeners). Each interface documents its thread-safety and failure contract; every one has an
 * in-memory fake in {@code sdk-testing}.
 */
@NullMarked
package io.agentprovision.core.spi;

import org.jspecify.annotations.NullMarked;
