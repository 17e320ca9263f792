/** Run journal stores: in memory and one JSON file per run in a directory. */
@NullMarked
package io.agentprovision.core.internal.journal;

import org.jspecify.annotations.NullMarked;
