/** The executors runs and steps use, and the forked calls of one step. */
@NullMarked
package io.agentprovision.core.internal.concurrent;

import org.jspecify.annotations.NullMarked;
