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
 */
public record Verification(URI url, boolean live, int status, @Nullable String bodyExcerpt, @Nullable String note) {
  public Verification {
    Objects.requireNonNull(url, "url");
  }
}
