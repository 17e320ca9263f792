/**
 * Who the human is: the {@link io.agentprovision.core.identity.Principal} a run acts for, what an
 * identity provider is asked, and {@link io.agentprovision.core.identity.OidcIdentityProvider}, which
 * verifies an OIDC ID token (nimbus-jose-jwt) including multi-factor step-up.
 *
 * <p>Everything here is non-null unless annotated {@code @Nullable}.
 */
@NullMarked
package io.agentprovision.core.identity;

import org.jspecify.annotations.NullMarked;
