/**
 * Test support for agentprovision and for the applications that embed it: a stateful in-memory
 * fake of every SPI, virtual time, scripted approvals, and loopback sandboxes of the remote
 * systems (Stripe, the provider protocol, Cloudflare v4, an OIDC issuer).
 */
@NullMarked
package io.agentprovision.testing;

import org.jspecify.annotations.NullMarked;
