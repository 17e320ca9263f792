package io.agentprovision.core.orchestration;

import java.util.Locale;
import org.jspecify.annotations.Nullable;

/** The state of a provisioned resource. Unknown wire values map to {@link #UNKNOWN}. */
public enum ResourceStatus {
  PENDING, NEEDS_INFORMATION, COMPLETE, ERRORED, REMOVED, UNKNOWN;

  /** Maps a wire value such as {@code "needs_information"} or {@code "error"}; tolerant of unknown values. */
  public static ResourceStatus fromWire(@Nullable String value) {
    if (value == null) {
      return UNKNOWN;
    }
    switch (value.toLowerCase(Locale.ROOT)) {
      case "pending":
        return PENDING;
      case "needs_information":
        return NEEDS_INFORMATION;
      case "complete":
        return COMPLETE;
      case "error":
      case "errored":
        return ERRORED;
      case "removed":
        return REMOVED;
      default:
        return UNKNOWN;
    }
  }
}
