package io.agentprovision.core;

import io.agentprovision.core.approval.ApprovalRequest;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.journal.StepStatus;
import io.agentprovision.core.spi.ProvisioningListener;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ready-made {@link ProvisioningListener}s: one that logs every event through slf4j, and one that
 * prints a line per step to a console as the run goes.
 *
 * <pre>{@code
 * AgentProvisioner.builder()
 *     .listener(ProvisioningListeners.logging())
 *     .listener(ProvisioningListeners.console(System.out))
 * }</pre>
 */
public final class ProvisioningListeners {
  private ProvisioningListeners() {}

  /** Logs each event at info (failures and alerts at warn) to the logger {@code io.agentprovision.events}. */
  public static ProvisioningListener logging() {
    Logger log = LoggerFactory.getLogger("io.agentprovision.events");
    return event -> {
      if (event instanceof ProvisioningEvent.BudgetAlert a) {
        log.warn("budget alert: {}% of {} used ({} of {}) in {}", a.percent(), a.usage().limit().key(), a.usage().used(),
            a.usage().limit().amount(), a.usage().bucket());
      } else if (event instanceof ProvisioningEvent.StepFinished f && f.status() == StepStatus.FAILED) {
        log.warn("run {} step {} failed after {} ms: {}", f.run(), f.step(), f.took().toMillis(), f.summary());
      } else if (event instanceof ProvisioningEvent.RunFinished f && f.error() != null) {
        log.warn("run {} ended {} after {} ms: {}", f.run(), f.status(), f.took().toMillis(), f.error());
      } else if (event instanceof ProvisioningEvent.SpendUncertain u) {
        log.warn("run {} step {}: {} held as uncertain (the provider may have charged it): {}", u.run(), u.step(),
            u.reservation().amount(), u.reason());
      } else if (event instanceof ProvisioningEvent.VelocityRefused v) {
        log.warn("velocity limit {} refused {} for {} ({} of {})", v.limit(), v.action(), v.bucket(), v.count(), v.max());
      } else {
        log.info("{}", event);
      }
    };
  }

  /**
   * Prints what a person watching a run wants: each step as it finishes with its time, waits as
   * they happen, approvals asked and decided, retries, alerts and compensation.
   */
  public static ProvisioningListener console(PrintStream out) {
    Objects.requireNonNull(out, "out");
    return event -> {
      synchronized (out) {
        out.println(line(event));
        out.flush();
      }
    };
  }

  static String line(ProvisioningEvent event) {
    if (event instanceof ProvisioningEvent.RunStarted s) {
      return (s.resumed() ? "Resuming run " : "Run ") + s.run() + " for agent " + s.agent() + " at " + s.provider();
    } else if (event instanceof ProvisioningEvent.StepStarted s) {
      return "  … " + pad(s.step().value()) + s.description() + (s.attempt() > 1 ? " (attempt " + s.attempt() + ")" : "");
    } else if (event instanceof ProvisioningEvent.StepFinished f) {
      String mark = switch (f.status()) {
        case SUCCEEDED -> "✓";
        case SKIPPED -> "=";
        case FAILED -> "✗";
        case COMPENSATED -> "↺";
        default -> "·";
      };
      return "  " + mark + " " + pad(f.step().value()) + took(f.took())
          + (f.summary() != null ? "  " + f.summary() : "");
    } else if (event instanceof ProvisioningEvent.Progress p) {
      return "      ⋯ " + p.message();
    } else if (event instanceof ProvisioningEvent.StepRetry r) {
      return "      ↻ retry " + r.attempt() + " in " + r.delay().toMillis() + " ms: " + r.reason();
    } else if (event instanceof ProvisioningEvent.ApprovalRequested a) {
      ApprovalRequest r = a.request();
      return "      ? " + kind(r.kind()) + ": " + r.title();
    } else if (event instanceof ProvisioningEvent.ApprovalDecided d) {
      return "      " + (d.decision().approved() ? "✓" : "✗") + " " + kind(d.request().kind()) + " "
          + d.decision().outcome().name().toLowerCase(Locale.ROOT).replace('_', ' ') + " by " + d.decision().approver();
    } else if (event instanceof ProvisioningEvent.BudgetAlert b) {
      return "      ! budget: " + b.percent() + "% of " + b.usage().limit().amount() + " (" + b.usage().limit().key()
          + ") used: " + b.usage().used();
    } else if (event instanceof ProvisioningEvent.SpendUncertain u) {
      return "      ! " + u.reservation().amount() + " held: the provider may have charged it (" + u.reason() + ")";
    } else if (event instanceof ProvisioningEvent.SpendReconciled r) {
      return "      ✓ reconciled " + r.reservation().amount() + ": " + (r.charged().isPositive() ? "charged " + r.charged()
          : "nothing was charged") + " (" + r.how() + ")";
    } else if (event instanceof ProvisioningEvent.VelocityRefused v) {
      return "      ✗ velocity limit " + v.limit() + " (" + v.bucket() + "): " + v.count() + " of " + v.max() + " "
          + v.action().name().toLowerCase(Locale.ROOT).replace('_', ' ') + " already";
    } else if (event instanceof ProvisioningEvent.Compensation c) {
      return "  ↺ " + pad(c.step().value()) + (c.undone() ? "undone: " : "NOT undone: ") + c.what();
    } else if (event instanceof ProvisioningEvent.SpendHeld h) {
      return "      $ held " + h.reservation().amount() + " for " + h.reservation().description();
    } else if (event instanceof ProvisioningEvent.SpendCommitted c) {
      return "      $ charged " + c.amount();
    } else if (event instanceof ProvisioningEvent.SpendReleased r) {
      return "      $ released " + r.reservation().amount() + " (nothing was charged)";
    } else if (event instanceof ProvisioningEvent.SpendRefused r) {
      return "      ✗ spend of " + r.requested() + " refused by limit " + r.limit() + " (" + r.remaining() + " left)";
    } else if (event instanceof ProvisioningEvent.RunFinished f) {
      return "Run " + f.run() + " " + f.status().name().toLowerCase(Locale.ROOT) + " in " + took(f.took()).trim()
          + (f.error() != null ? ": " + f.error() : "");
    }
    return event.toString();
  }

  private static String kind(CheckpointKind k) {
    return k.name().toLowerCase(Locale.ROOT).replace('_', ' ');
  }

  private static String pad(String s) {
    return String.format("%-16s", s);
  }

  private static String took(Duration d) {
    long ms = d.toMillis();
    return String.format("%7s", ms < 1000 ? ms + " ms" : String.format(Locale.ROOT, "%.1f s", ms / 1000.0));
  }
}
