/**
 * The agent tools as an MCP server: {@link io.agentprovision.mcp.AgentProvisionMcp} over stdio or
 * streamable HTTP, and {@link io.agentprovision.mcp.ElicitingApprovalGate}, which asks a person through
 * the MCP client for the checkpoints the host allows.
 *
 * <p>Everything here is non-null unless annotated {@code @Nullable}.
 */
@NullMarked
package io.agentprovision.mcp;

import org.jspecify.annotations.NullMarked;
