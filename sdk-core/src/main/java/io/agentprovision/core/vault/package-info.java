/**
 * What the {@link io.agentprovision.core.spi.CredentialVault} keeps: an entry (a secret and its
 * attributes) and the error a vault raises.
 *
 * <p>Everything here is non-null unless annotated {@code @Nullable}.
 */
@NullMarked
package io.agentprovision.core.vault;

import org.jspecify.annotations.NullMarked;
