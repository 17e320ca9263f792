/**
 * Human checkpoints: the kinds of checkpoint, what is asked and what was decided, and the shipped
 * gates ({@link io.agentprovision.core.approval.ApprovalGates},
 * {@link io.agentprovision.core.approval.CallbackApprovalGate}). Gates fail closed: a timeout or an
 * error is a denial.
 *
 * <p>Everything here is non-null unless annotated {@code @Nullable}.
 */
@NullMarked
package io.agentprovision.core.approval;

import org.jspecify.annotations.NullMarked;
