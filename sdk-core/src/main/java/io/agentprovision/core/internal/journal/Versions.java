package io.agentprovision.core.internal.journal;

import io.agentprovision.core.journal.ApprovalRecord;
import java.util.Comparator;
import org.jspecify.annotations.Nullable;

/** The compare-and-set rule every journal shares, and the order approvals are listed in. */
final class Versions {
  /** Approvals oldest first: by when they were asked, then by id. */
  static final Comparator<ApprovalRecord> OLDEST_FIRST = Comparator.comparing(ApprovalRecord::requestedAt)
      .thenComparing(ApprovalRecord::id);

  private Versions() {}

  /** Whether a record of version {@code next} may replace the stored {@code current} (null: none stored). */
  static boolean follows(@Nullable Long current, long next) {
    return current == null ? next == 0 : next == current + 1;
  }
}
