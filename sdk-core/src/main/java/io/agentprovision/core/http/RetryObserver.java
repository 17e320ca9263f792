package io.agentprovision.core.http;

import java.time.Duration;

/**
 * Told when a call is about to be retried. Attach one to an okhttp request with
 * {@code request.newBuilder().tag(RetryObserver.class, observer)} and the resilience layer of an
 * {@link HttpStack} client reports each retry to it; plug-ins pass
 * {@code ctx::retrying} so retries become events.
 */
@FunctionalInterface
public interface RetryObserver {
  /**
   * @param attempt the attempt about to be made (2 for the first retry)
   * @param delay the wait before it
   * @param reason why, such as {@code "HTTP 429"} or {@code "connection reset"}
   */
  void retrying(int attempt, Duration delay, String reason);
}
