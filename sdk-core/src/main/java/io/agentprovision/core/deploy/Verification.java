package io.agentprovision.core.deploy;

import java.net.URI;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Whether a deployed app answered.
 *
 * @param url the URL that was requested
 * @param live whether it answered with a success status
 * @param status the HTTP status, or 0 when nothing answered or nothing was run
 * @param bodyExcerpt the start of the body (at most a few hundred characters), when it answered
 * @param note why it was not checked or what went wrong, when relevant (such as "no local runtime")
 * @param result what the check found: the app {@link Result#LIVE live}, {@link Result#NOT_ANSWERING
 *     not answering} (no answer, or no success status), or {@link Result#NO_RUNTIME not run} because
 *     nothing here can run it; derived from {@code live} when null
 */
public record Verification(URI url, boolean live, int status, @Nullable String bodyExcerpt, @Nullable String note,
    Result result) {
  /** What a check of the app found. */
  public enum Result {
    /** It answered with a success status. */
    LIVE,
    /** It did not answer, or not with a success status: a connection refused, a timeout, a 5xx. */
    NOT_ANSWERING,
    /**
     * Nothing could run it where it was checked (a loopback sandbox without a local Workers
     * runtime): deployed, not a failure to answer.
     */
    NO_RUNTIME
  }

  public Verification {
    Objects.requireNonNull(url, "url");
    if (result == null) {
      result = live ? Result.LIVE : Result.NOT_ANSWERING;
    }
    if (live != (result == Result.LIVE)) {
      throw new IllegalArgumentException("a verification that is " + (live ? "" : "not ") + "live cannot be " + result);
    }
  }

  /** A check that asked the app: live when it answered with a success status, otherwise not answering. */
  public Verification(URI url, boolean live, int status, @Nullable String bodyExcerpt, @Nullable String note) {
    this(url, live, status, bodyExcerpt, note, live ? Result.LIVE : Result.NOT_ANSWERING);
  }

  /** The app was deployed where nothing can run it here (no local runtime); {@code note} says why. */
  public static Verification noRuntime(URI url, String note) {
    return new Verification(url, false, 0, null, Objects.requireNonNull(note, "note"), Result.NO_RUNTIME);
  }
}
