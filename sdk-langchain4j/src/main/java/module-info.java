/**
 * agentprovision's LangChain4j adapter: the agent tools as tool specifications and executors.
 */
module io.agentprovision.langchain4j {
  exports io.agentprovision.langchain4j;

  requires transitive io.agentprovision.tools;
  requires transitive langchain4j.core;
  requires static transitive org.jspecify;
}
