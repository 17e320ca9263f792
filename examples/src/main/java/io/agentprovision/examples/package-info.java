/** Runnable programs that show the SDK at work, starting with the {@link io.agentprovision.examples.Quickstart}. */
@NullMarked
package io.agentprovision.examples;

import org.jspecify.annotations.NullMarked;
