package io.agentprovision.core.internal.engine;

import io.agentprovision.core.ProvisioningEvent;
import io.agentprovision.core.spi.ProvisioningListener;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Delivers events to every listener; a failing listener is logged and does not stop the run. */
final class Events {
  private static final Logger LOG = LoggerFactory.getLogger(Events.class);

  private final List<ProvisioningListener> listeners;

  Events(List<ProvisioningListener> listeners) {
    this.listeners = List.copyOf(listeners);
  }

  /**
   * The end of a run this thread is ending, held back until the run's host has let it go: whoever
   * hears that a run ended may resume it at once, which fails while the lease and this host's claim
   * are still held. Null when this thread holds nothing back.
   */
  private final ThreadLocal<@Nullable List<ProvisioningEvent>> heldEnds = new ThreadLocal<>();

  /** From now on, this thread's {@code RunFinished} events wait for {@link #releaseEnds()}. */
  void holdEnds() {
    heldEnds.set(new ArrayList<>());
  }

  /** Delivers the {@code RunFinished} events this thread held back, in order, and stops holding them. */
  void releaseEnds() {
    List<ProvisioningEvent> held = heldEnds.get();
    heldEnds.remove();
    if (held != null) {
      held.forEach(this::deliver);
    }
  }

  void emit(ProvisioningEvent event) {
    List<ProvisioningEvent> held = event instanceof ProvisioningEvent.RunFinished ? heldEnds.get() : null;
    if (held != null) {
      held.add(event);
    } else {
      deliver(event);
    }
  }

  private void deliver(ProvisioningEvent event) {
    for (ProvisioningListener l : listeners) {
      try {
        l.onEvent(event);
      } catch (RuntimeException e) {
        LOG.warn("listener {} failed on {}: {}", l, event.getClass().getSimpleName(), e.toString());
      }
    }
  }
}
