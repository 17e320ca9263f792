/**
 * The provider protocol (Layer B, version {@code 0.1d}) spoken between an orchestrator and a
 * provider: {@link io.agentprovision.core.protocol.ProtocolClient}, the okhttp client an
 * orchestrator uses, and {@link io.agentprovision.core.protocol.ProtocolSignature}, the request
 * signing scheme both sides use.
 */
@NullMarked
package io.agentprovision.core.protocol;

import org.jspecify.annotations.NullMarked;
