/**
 * Spans and metrics of provisioning runs through OpenTelemetry:
 * {@link io.agentprovision.opentelemetry.OpenTelemetryListener}.
 *
 * <p>Everything here is non-null unless annotated {@code @Nullable}.
 */
@NullMarked
package io.agentprovision.opentelemetry;

import org.jspecify.annotations.NullMarked;
