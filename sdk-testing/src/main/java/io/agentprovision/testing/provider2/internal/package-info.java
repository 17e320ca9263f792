/** Wire bodies of the independent provider simulator, public for moshi's sake only; not an API. */
@NullMarked
package io.agentprovision.testing.provider2.internal;

import org.jspecify.annotations.NullMarked;
