/**
 * The agent tools for LangChain4j: {@link io.agentprovision.langchain4j.LangChain4jTools} turns them
 * into {@code ToolSpecification}s and executes a model's {@code ToolExecutionRequest}s;
 * {@link io.agentprovision.langchain4j.ToolCallingLoop} drives any {@code ChatModel} with them.
 *
 * <p>Everything here is non-null unless annotated {@code @Nullable}.
 */
@NullMarked
package io.agentprovision.langchain4j;

import org.jspecify.annotations.NullMarked;
