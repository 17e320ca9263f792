package io.agentprovision.core.internal.engine;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What undoing a step achieved: what was undone (null when nothing was), and what cannot be undone
 * (a registered domain, a charge that cancelling does not refund), for the run's failure report.
 */
record Compensation(@Nullable String undone, List<String> notUndone) {
  /** Nothing to undo and nothing to report. */
  static final Compensation NOTHING = new Compensation(null, List.of());

  Compensation {
    notUndone = List.copyOf(notUndone);
  }

  static Compensation undone(String what) {
    return new Compensation(what, List.of());
  }

  static Compensation cannotUndo(String why) {
    return new Compensation(null, List.of(why));
  }

  /** This, and also {@code why} cannot be undone. */
  Compensation andCannotUndo(String why) {
    List<String> more = new java.util.ArrayList<>(notUndone);
    more.add(why);
    return new Compensation(undone, more);
  }
}
