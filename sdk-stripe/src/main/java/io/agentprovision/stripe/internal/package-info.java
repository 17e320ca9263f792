/** Implementation details of sdk-stripe. Not API: anything here may change in any release. */
@NullMarked
package io.agentprovision.stripe.internal;

import org.jspecify.annotations.NullMarked;
