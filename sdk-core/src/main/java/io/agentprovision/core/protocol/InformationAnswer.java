package io.agentprovision.core.protocol;

import io.agentprovision.core.Secret;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * An answer to a provider's {@code needs_information}, in one of the two forms providers take it
 * (the protocol names no call for it; providers differ):
 *
 * <ul>
 *   <li>{@link ByUpdate}: {@code POST /provisioning/resources/{id}/update_service} with the answers as
 *       {@code configuration} (the provider merges them into what it kept) and, when the answer is
 *       billable, {@code payment_credentials};</li>
 *   <li>{@link ByNewRequest}: a new {@code POST /provisioning/resources} carrying everything chosen
 *       so far as {@code configuration} and the same payment credentials, for a provider that kept
 *       nothing (its answer had no resource id) or refuses the update form.</li>
 * </ul>
 *
 * <pre>{@code
 * ProviderResource r = provider.answerInformation(accessToken,
 *     new InformationAnswer.ByUpdate(resourceId, Map.of("domain", "my-app.com"), paymentToken), key);
 * }</pre>
 */
public sealed interface InformationAnswer {
  /**
   * The answer as an update of the resource that waits for it.
   *
   * @param resourceId the provider's resource id
   * @param configuration the answers, such as {@code {"domain": "my-app.com"}}
   * @param paymentToken the payment token when the answer is billable, else null
   */
  record ByUpdate(String resourceId, Map<String, Object> configuration, @Nullable Secret paymentToken)
      implements InformationAnswer {
    public ByUpdate {
      Objects.requireNonNull(resourceId, "resourceId");
      configuration = Collections.unmodifiableMap(new LinkedHashMap<>(configuration));
    }
  }

  /**
   * The answer as a new create request: the original request with the answers merged into its
   * configuration and the payment token to send.
   *
   * @param request the create request to send again, configuration and payment token included
   */
  record ByNewRequest(ProviderResourceRequest request) implements InformationAnswer {
    public ByNewRequest {
      Objects.requireNonNull(request, "request");
    }
  }
}
