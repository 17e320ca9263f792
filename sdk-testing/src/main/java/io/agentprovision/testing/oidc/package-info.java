/**
 * A loopback OpenID Connect issuer for tests: {@link io.agentprovision.testing.oidc.OidcIssuerSandbox}
 * serves a discovery document and a JWKS, mints ID tokens with real RSA and EC keys, rotates its
 * keys, and mints the forged tokens an ID-token verifier must refuse.
 */
@NullMarked
package io.agentprovision.testing.oidc;

import org.jspecify.annotations.NullMarked;
