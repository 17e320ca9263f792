package io.agentprovision.core.spi;

import io.agentprovision.core.ProviderException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.catalog.ServiceOffering;
import io.agentprovision.core.http.RetryObserver;
import io.agentprovision.core.orchestration.DeepLink;
import io.agentprovision.core.orchestration.ResourceStatus;
import io.agentprovision.core.protocol.AccountRequest;
import io.agentprovision.core.protocol.AccountResponse;
import io.agentprovision.core.protocol.InformationAnswer;
import io.agentprovision.core.protocol.InformationAnswerRefusedException;
import io.agentprovision.core.protocol.ProviderHealth;
import io.agentprovision.core.protocol.ProviderResource;
import io.agentprovision.core.protocol.ProviderResourceRequest;
import io.agentprovision.core.protocol.ProviderResourceUpdate;
import io.agentprovision.core.protocol.ProviderTokens;
import io.agentprovision.core.protocol.ServicePage;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The provider side of the provisioning protocol (version {@code 0.1d}), as an orchestrator sees
 * it: health, the service catalog, account requests, the OAuth token endpoint, and resources. One
 * instance speaks to one provider. The shipped implementation is
 * {@link io.agentprovision.core.protocol.ProtocolClient}, which signs every request.
 *
 * <p>Contract:
 * <ul>
 *   <li>Thread-safe.</li>
 *   <li>An HTTP error from the provider is a {@link ProviderException} with the provider's status,
 *       error code and request id; so is an {@code error} answer that names no resource (an error
 *       about the request, with any HTTP status). A resource the provider reports in state
 *       {@code error} is returned, not thrown, as a {@link ProviderResource} with
 *       {@link ResourceStatus#ERRORED}.</li>
 *   <li>An answer missing a member the SDK needs, or with a member of the wrong JSON type, is a
 *       {@link io.agentprovision.core.MalformedResponseException} naming the member.</li>
 *   <li>Calls that change something take an idempotency key, sent as {@code Idempotency-Key}, so
 *       that repeating them (a retry, a resumed run) does not repeat their effect.</li>
 *   <li>Unknown fields and unknown enum values in responses are tolerated.</li>
 * </ul>
 */
public interface ProvisioningProvider {
  /** Upper bound on pages {@link #allServices()} follows, against a provider whose cursor never ends. */
  int MAX_SERVICE_PAGES = 100;

  /** The provider's name, such as {@code "cloudflare"}, used in errors and events. */
  String name();

  /** The protocol version sent as {@code API-Version}. */
  String apiVersion();

  /** {@code GET /provisioning/health}. */
  ProviderHealth health();

  /**
   * Checks that the provider is healthy and accepts {@link #apiVersion()}.
   *
   * @throws ProviderException with code {@code unsupported_api_version} or {@code unhealthy} otherwise
   */
  default ProviderHealth checkVersion() {
    ProviderHealth h = health();
    if (!h.supports(apiVersion())) {
      throw new ProviderException(name(), 0, "unsupported_api_version", null, "the provider supports "
          + h.supportedVersions() + ", not " + apiVersion() + "; configure one of those versions", false);
    }
    if (!h.ok()) {
      throw new ProviderException(name(), 0, "unhealthy", null, "the provider reports status '" + h.status() + "'",
          true);
    }
    return h;
  }

  /** One page of {@code GET /provisioning/services}; {@code cursor} null for the first. */
  ServicePage services(@Nullable String cursor);

  /** Every service, following {@code next_cursor} until the last page. */
  default List<ServiceOffering> allServices() {
    List<ServiceOffering> all = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    String cursor = null;
    for (int page = 0; page < MAX_SERVICE_PAGES; page++) {
      ServicePage p = services(cursor);
      all.addAll(p.services());
      cursor = p.nextCursor();
      if (cursor == null) {
        return all;
      }
      if (!seen.add(cursor)) {
        throw new ProviderException(name(), 0, "cursor_loop", null, "the service list repeated cursor '" + cursor + "'",
            false);
      }
    }
    throw new ProviderException(name(), 0, "too_many_pages", null, "the service list had more than "
        + MAX_SERVICE_PAGES + " pages", false);
  }

  /** {@code POST /provisioning/account_requests}. */
  AccountResponse requestAccount(AccountRequest request);

  /**
   * Redeems an authorization code at {@code POST /oauth/token}.
   *
   * @param codeVerifier the PKCE verifier when a challenge was sent with the account request, else null
   */
  ProviderTokens exchangeCode(Secret code, @Nullable Secret codeVerifier);

  /** Gets new tokens with a refresh token at {@code POST /oauth/token}. */
  ProviderTokens refresh(Secret refreshToken);

  /** {@code POST /provisioning/resources}. */
  ProviderResource createResource(Secret accessToken, ProviderResourceRequest request, String idempotencyKey);

  /** {@code GET /provisioning/resources/{id}}. */
  ProviderResource getResource(Secret accessToken, String resourceId);

  /** {@code POST /provisioning/resources/{id}/update_service}. */
  ProviderResource updateService(Secret accessToken, String resourceId, ProviderResourceUpdate update,
      String idempotencyKey);

  /** {@code POST /provisioning/resources/{id}/rotate_credentials}. */
  ProviderResource rotateCredentials(Secret accessToken, String resourceId, String idempotencyKey);

  /** {@code POST /provisioning/resources/{id}/remove}. */
  ProviderResource removeResource(Secret accessToken, String resourceId, String idempotencyKey);

  /** {@code POST /provisioning/deep_links}. */
  DeepLink deepLink(Secret accessToken, String purpose);

  /**
   * Answers a resource's {@code needs_information} in the form given (see {@link InformationAnswer}):
   * as {@code update_service} on the resource, or as a new {@code POST /provisioning/resources} with
   * everything chosen so far and the same payment credentials. The default sends each form with
   * {@link #updateService} or {@link #createResource}; an implementation that can tell a refusal of
   * the update form from other failures throws {@link InformationAnswerRefusedException} for it.
   */
  default ProviderResource answerInformation(Secret accessToken, InformationAnswer answer, String idempotencyKey) {
    if (answer instanceof InformationAnswer.ByNewRequest n) {
      return createResource(accessToken, n.request(), idempotencyKey);
    }
    InformationAnswer.ByUpdate u = (InformationAnswer.ByUpdate) answer;
    return updateService(accessToken, u.resourceId(), new ProviderResourceUpdate(null, u.configuration(),
        u.paymentToken()), idempotencyKey);
  }

  /**
   * A view of this provider that reports every retry to {@code observer} (pass {@code ctx::retrying}
   * so that retries become events). The default ignores the observer.
   */
  default ProvisioningProvider withRetryObserver(RetryObserver observer) {
    return this;
  }
}
