/** Credential vault stores: in memory and an AES-256-GCM encrypted file. */
@NullMarked
package io.agentprovision.core.internal.vault;

import org.jspecify.annotations.NullMarked;
