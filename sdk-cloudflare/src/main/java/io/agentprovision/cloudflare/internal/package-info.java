/** Machinery of the Cloudflare module: the moshi-bound wire records, multipart building, redaction. Not API. */
@NullMarked
package io.agentprovision.cloudflare.internal;

import org.jspecify.annotations.NullMarked;
