package io.agentprovision.core.spi;

import io.agentprovision.core.ProvisioningEvent;

/**
 * Receives events as a run proceeds: steps starting and finishing, retries, approvals asked and
 * decided, budget alerts, progress on waits. Called synchronously from the step's thread, so it
 * must be quick and thread-safe; an exception it throws is logged and otherwise ignored.
 * Events never hold secrets.
 */
@FunctionalInterface
public interface ProvisioningListener {
  /** Ignores every event. */
  ProvisioningListener NONE = event -> {};

  void onEvent(ProvisioningEvent event);
}
