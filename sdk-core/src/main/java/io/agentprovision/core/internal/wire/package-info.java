/**
 * Typed binding of remote JSON with moshi: the shared instance with the SDK's adapters for shapes
 * moshi does not bind alone (one value or a list, {@code type}-discriminated unions, amounts in
 * several encodings). Not API: adapters outside sdk-core bind through
 * {@link io.agentprovision.core.wire.WireRecords}, and a missing or mistyped member is the public
 * {@link io.agentprovision.core.wire.WireFormatException}.
 */
@NullMarked
package io.agentprovision.core.internal.wire;

import org.jspecify.annotations.NullMarked;
