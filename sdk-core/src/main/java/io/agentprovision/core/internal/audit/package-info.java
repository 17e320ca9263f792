/** Audit log stores: in memory and a hash-chained JSON-lines file. */
@NullMarked
package io.agentprovision.core.internal.audit;

import org.jspecify.annotations.NullMarked;
