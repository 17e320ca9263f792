/** Wire encoding of the provider protocol. Not API. */
@NullMarked
package io.agentprovision.core.internal.protocol;

import org.jspecify.annotations.NullMarked;
