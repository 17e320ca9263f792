/**
 * What the {@link io.agentprovision.core.spi.RunJournal} keeps: a run and each of its steps, with
 * their status, idempotency key and outputs, so that a run can be resumed after a crash.
 *
 * <p>Everything here is non-null unless annotated {@code @Nullable}.
 */
@NullMarked
package io.agentprovision.core.journal;

import org.jspecify.annotations.NullMarked;
