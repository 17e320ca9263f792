package io.agentprovision.core.internal.spend;

import io.agentprovision.core.Money;
import io.agentprovision.core.policy.LimitUsage;
import io.agentprovision.core.policy.SpendInterval;
import io.agentprovision.core.policy.SpendLimit;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A reservation's usage after reserving, less what differs between reservations (what each limit's
 * bucket used, which the in-memory ledger keeps as numbers beside the reservation): how to rebuild
 * the {@link LimitUsage} list for one of them.
 */
abstract class Usages {
  /** Of a reservation made against no limit. */
  static final Usages NONE = new Verbatim(List.of());

  /**
   * The usage list of a reservation whose first limit's bucket used {@code used0} (in minor units)
   * and the limits after it {@code rest} (null when there is at most one limit).
   */
  abstract List<LimitUsage> list(long used0, long @Nullable [] rest);

  /**
   * The limits a reservation was judged against, the label and window of each limit's bucket, in
   * order; each limit's use comes from the reservation. Shared by every reservation made under the
   * same limits in the same windows (the ledger reuses the last one while they match).
   */
  static final class Shape extends Usages {
    final List<SpendLimit> limits;
    final String[] labels;
    final SpendInterval.Window[] windows;

    Shape(List<SpendLimit> limits, String[] labels, SpendInterval.Window[] windows) {
      this.limits = limits;
      this.labels = labels;
      this.windows = windows;
    }

    /** Whether reservations judged against {@code others}, with the labels and windows given, share this shape. */
    boolean matches(List<SpendLimit> others, String[] otherLabels, SpendInterval.Window[] otherWindows) {
      int n = labels.length;
      if (others.size() != n || (others != limits && !others.equals(limits))) {
        return false;
      }
      for (int i = 0; i < n; i++) {
        if ((otherLabels[i] != labels[i] && !otherLabels[i].equals(labels[i]))
            || (otherWindows[i] != windows[i] && !otherWindows[i].equals(windows[i]))) {
          return false;
        }
      }
      return true;
    }

    /** A shape of the first {@code limits.size()} labels and windows given (copied). */
    static Shape of(List<SpendLimit> limits, String[] labels, SpendInterval.Window[] windows) {
      int n = limits.size();
      return new Shape(limits, Arrays.copyOf(labels, n), Arrays.copyOf(windows, n));
    }

    @Override
    List<LimitUsage> list(long used0, long @Nullable [] rest) {
      int n = labels.length;
      if (n == 1) {
        return List.of(usage(0, used0));
      }
      LimitUsage[] out = new LimitUsage[n];
      for (int i = 0; i < n; i++) {
        out[i] = usage(i, i == 0 ? used0 : rest == null ? 0 : rest[i - 1]);
      }
      return List.of(out);
    }

    private LimitUsage usage(int i, long used) {
      SpendLimit limit = limits.get(i);
      return new LimitUsage(limit, labels[i], windows[i], Money.ofMinor(used, limit.amount().currency()));
    }
  }

  /** A usage list kept as it was given: for a reservation restored from a store's record. */
  static final class Verbatim extends Usages {
    private final List<LimitUsage> usage;

    Verbatim(List<LimitUsage> usage) {
      this.usage = usage;
    }

    @Override
    List<LimitUsage> list(long used0, long @Nullable [] rest) {
      return usage;
    }
  }
}
