/** Reading catalog pricing in every form into {@link io.agentprovision.core.catalog.Pricing}. Not API. */
@NullMarked
package io.agentprovision.core.internal.catalog;

import org.jspecify.annotations.NullMarked;
