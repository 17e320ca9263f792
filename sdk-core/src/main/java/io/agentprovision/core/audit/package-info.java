/**
 * The audit trail's values: an entry as appended and as stored, the hash chain that links
 * entries, and the result of verifying it. The log itself is the
 * {@link io.agentprovision.core.spi.AuditLog} plug-in.
 *
 * <p>Everything here is non-null unless annotated {@code @Nullable}.
 */
@NullMarked
package io.agentprovision.core.audit;

import org.jspecify.annotations.NullMarked;
