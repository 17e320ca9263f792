/**
 * What a provider sells: its {@link io.agentprovision.core.catalog.Catalog} of
 * {@link io.agentprovision.core.catalog.ServiceOffering}s with their pricing.
 *
 * <p>Everything here is non-null unless annotated {@code @Nullable}.
 */
@NullMarked
package io.agentprovision.core.catalog;

import org.jspecify.annotations.NullMarked;
