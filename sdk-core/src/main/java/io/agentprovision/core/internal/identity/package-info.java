/** Machinery of ID-token verification. Not API. */
@NullMarked
package io.agentprovision.core.internal.identity;

import org.jspecify.annotations.NullMarked;
