/** File-system helpers the persistent stores share: atomic replacement and process-wide locks. */
@NullMarked
package io.agentprovision.core.internal.fs;

import org.jspecify.annotations.NullMarked;
