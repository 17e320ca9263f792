/**
 * The agent tools: a stable, versioned set of tools with JSON Schema inputs and outputs through which
 * a model plans and requests provisioning, and never approves it. {@link io.agentprovision.tools.AgentTools}
 * is bound to one agent and one signed-in human; framework adapters ({@code sdk-mcp},
 * {@code sdk-langchain4j}) expose it.
 *
 * <p>Everything here is non-null unless annotated {@code @Nullable}.
 */
@NullMarked
package io.agentprovision.tools;

import org.jspecify.annotations.NullMarked;
