package io.agentprovision.tools;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.RunId;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The host's way to put a person into the provider's own interface: it mints a signed-in link (for
 * example {@code DirectOrchestrator.deepLink(account, purpose)}) and shows it to the person, never to
 * the model: such a link signs whoever holds it in, so it is a credential. The {@code deep_link} tool
 * calls it and tells the model only whether, and where, the link was shown.
 *
 * <pre>{@code
 * DeepLinkHandler links = request -> {
 *   DeepLink link = direct.deepLink(accountOf(request), request.purpose());
 *   browserTab.open(link.url());
 *   return "opened in a new tab of the console";
 * };
 * }</pre>
 */
@FunctionalInterface
public interface DeepLinkHandler {
  /**
   * Shows the person a link for {@code request}; returns where, in words for the model, or null when
   * it showed nothing.
   */
  @Nullable String deliver(Request request);

  /**
   * What the model asked for.
   *
   * @param agent the agent the tools are bound to
   * @param provider the provider
   * @param run the run whose account is meant, when one was named
   * @param accountId the provider account of that run, when known
   * @param purpose {@code dashboard}, {@code billing} or {@code settings}
   */
  record Request(AgentId agent, String provider, @Nullable RunId run, @Nullable String accountId, String purpose) {
    public Request {
      Objects.requireNonNull(agent, "agent");
      Objects.requireNonNull(provider, "provider");
      Objects.requireNonNull(purpose, "purpose");
    }
  }
}
