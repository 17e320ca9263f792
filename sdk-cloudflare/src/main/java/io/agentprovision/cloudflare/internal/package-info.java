/** Machinery of the Cloudflare module: envelope parsing, field readers, multipart building. Not API. */
@NullMarked
package io.agentprovision.cloudflare.internal;

import org.jspecify.annotations.NullMarked;
