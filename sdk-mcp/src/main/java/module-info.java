/**
 * agentprovision's MCP server: the agent tools over the Model Context Protocol (stdio and
 * streamable HTTP), with approvals through the host's gate or MCP elicitation.
 */
module io.agentprovision.mcp {
  exports io.agentprovision.mcp;

  requires transitive io.agentprovision.tools;
  requires transitive io.modelcontextprotocol.sdk.mcp.core;
  requires io.modelcontextprotocol.sdk.mcp.json.jackson3;
  requires static jakarta.servlet;
  requires org.slf4j;
  requires static transitive org.jspecify;
}
