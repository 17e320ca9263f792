/**
 * Typed binding of remote JSON with moshi: the shared instance with the SDK's adapters for shapes
 * moshi does not bind alone (one value or a list, {@code type}-discriminated unions, amounts in
 * several encodings), and the error that names the member a missing or mistyped value sits at.
 * Not API.
 */
@NullMarked
package io.agentprovision.core.internal.wire;

import org.jspecify.annotations.NullMarked;
