/**
 * JSON as the adapters read and write it: one shared Moshi instance, parsing to plain values, and
 * the canonical form used for hashes and idempotency keys; {@link io.agentprovision.core.wire.WireRecords}
 * binds remote answers to typed records, and a shape it cannot read is a
 * {@link io.agentprovision.core.wire.WireFormatException} naming the member.
 *
 * <p>Everything here is non-null unless annotated {@code @Nullable}.
 */
@NullMarked
package io.agentprovision.core.wire;

import org.jspecify.annotations.NullMarked;
