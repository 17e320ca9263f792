/** Implementation details of sdk-core. Not API: anything here may change in any release. */
@NullMarked
package io.agentprovision.core.internal;

import org.jspecify.annotations.NullMarked;
