/**
 * The in-memory spend ledger and the limit arithmetic every ledger and the planner share.
 * Internal: no other module may use it.
 */
@NullMarked
package io.agentprovision.core.internal.spend;

import org.jspecify.annotations.NullMarked;
