/**
 * What the {@link io.agentprovision.core.spi.RunJournal} keeps: a run and each of its steps, with
 * their status, idempotency key, output (JSON written by the engine), spend reservations and
 * checkpoint decisions, so that a run can be resumed after a crash without buying or asking twice.
 *
 * <p>Everything here is non-null unless annotated {@code @Nullable}.
 */
@NullMarked
package io.agentprovision.core.journal;

import org.jspecify.annotations.NullMarked;
