/** Assembling and rendering the inventory and governance report. */
@NullMarked
package io.agentprovision.core.internal.report;

import org.jspecify.annotations.NullMarked;
