package io.agentprovision.core.internal.journal;

import org.jspecify.annotations.Nullable;

/** The compare-and-set rule every journal shares. */
final class Versions {
  private Versions() {}

  /** Whether a record of version {@code next} may replace the stored {@code current} (null: none stored). */
  static boolean follows(@Nullable Long current, long next) {
    return current == null ? next == 0 : next == current + 1;
  }
}
