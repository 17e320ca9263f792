/** The SDK's source of cryptographically strong random bytes. */
@NullMarked
package io.agentprovision.core.internal.random;

import org.jspecify.annotations.NullMarked;
