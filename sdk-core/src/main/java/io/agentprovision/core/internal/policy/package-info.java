/** The policy stores shipped in sdk-core: in memory and in a file. */
@NullMarked
package io.agentprovision.core.internal.policy;

import org.jspecify.annotations.NullMarked;
