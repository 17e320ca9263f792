/**
 * The engine: plans runs, executes their step graph, journals and audits every step, settles spend
 * and compensates failures. Start with {@code ProvisioningFlow},
 * the steps of a run in one place; {@code docs/architecture.md} describes the rest. Internal: no
 * other module may use it.
 */
@NullMarked
package io.agentprovision.core.internal.engine;

import org.jspecify.annotations.NullMarked;
