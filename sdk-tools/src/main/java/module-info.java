/**
 * agentprovision's agent tools: the provisioning steps as a versioned tool set with JSON Schemas,
 * bound to one agent and one signed-in human ({@link io.agentprovision.tools.AgentTools}).
 */
module io.agentprovision.tools {
  exports io.agentprovision.tools;

  requires transitive io.agentprovision.core;
  requires static transitive org.jspecify;
}
