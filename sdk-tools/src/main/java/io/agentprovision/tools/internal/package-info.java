/** The tool set's machinery: schemas, handlers, result shaping. Not API. */
@NullMarked
package io.agentprovision.tools.internal;

import org.jspecify.annotations.NullMarked;
