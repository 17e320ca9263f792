package io.agentprovision.core.internal.engine;

import io.agentprovision.core.ProvisioningEvent;
import io.agentprovision.core.spi.ProvisioningListener;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Delivers events to every listener; a failing listener is logged and does not stop the run. */
final class Events {
  private static final Logger LOG = LoggerFactory.getLogger(Events.class);

  private final List<ProvisioningListener> listeners;

  Events(List<ProvisioningListener> listeners) {
    this.listeners = List.copyOf(listeners);
  }

  void emit(ProvisioningEvent event) {
    for (ProvisioningListener l : listeners) {
      try {
        l.onEvent(event);
      } catch (RuntimeException e) {
        LOG.warn("listener {} failed on {}: {}", l, event.getClass().getSimpleName(), e.toString());
      }
    }
  }
}
