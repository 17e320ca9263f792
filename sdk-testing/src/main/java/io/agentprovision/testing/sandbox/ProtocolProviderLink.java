package io.agentprovision.testing.sandbox;

import io.agentprovision.core.Money;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.catalog.Pricing;
import io.agentprovision.core.catalog.ServiceOffering;
import io.agentprovision.core.protocol.AccountResponse;
import io.agentprovision.core.protocol.ProtocolClient;
import io.agentprovision.core.protocol.ProviderResource;
import io.agentprovision.core.protocol.ProviderResourceRequest;
import io.agentprovision.core.protocol.ProviderResourceUpdate;
import io.agentprovision.core.protocol.ProviderTokens;
import io.agentprovision.testing.stripe.ProviderLink;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The Stripe sandbox's way to a provider that speaks the provisioning protocol: each
 * {@link ProviderLink} call is the protocol call it names, made with a {@link ProtocolClient}
 * (signed, versioned) against the provider sandbox. Consent is given on the provider's own consent
 * page (reached through {@code consentPage}, as a person's browser would), and codes are redeemed
 * at its token endpoint. Stripe keeps the first access token of a connection for good; this link
 * refreshes it behind Stripe's back when it is about to expire, as Stripe does with its providers.
 * Thread-safe.
 */
final class ProtocolProviderLink implements ProviderLink {
  private static final Duration REFRESH_SKEW = Duration.ofSeconds(60);
  private static final Map<String, Object> STRIPE_ORCHESTRATOR =
      Map.of("type", "stripe", "stripe", Map.of("account", "acct_sandbox_platform"));

  private final ProtocolClient client;
  private final Listing listing;
  private final Clock clock;
  private final Function<URI, Map<String, String>> consentPage;
  private final Map<String, PendingConsent> consents = new HashMap<>();
  private final Map<String, String> emailsByCode = new HashMap<>();
  private final Map<String, Boolean> newAccountCodes = new HashMap<>();
  private final Map<String, ProviderTokens> sessions = new HashMap<>();

  private record PendingConsent(URI url, String email) {}

  ProtocolProviderLink(ProtocolClient client, Listing listing, Clock clock, Function<URI, Map<String, String>> consentPage) {
    this.client = Objects.requireNonNull(client, "client");
    this.listing = Objects.requireNonNull(listing, "listing");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.consentPage = Objects.requireNonNull(consentPage, "consentPage");
  }

  @Override
  public Listing listing() {
    return listing;
  }

  @Override
  public List<Map<String, Object>> services() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (ServiceOffering s : client.allServices()) {
      out.add(json(s));
    }
    return out;
  }

  /** A service back in the protocol's JSON shape, as the provider listed it. */
  private static Map<String, Object> json(ServiceOffering s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", s.id());
    m.put("description", s.description());
    m.put("categories", s.categories());
    m.put("kind", s.kind());
    m.put("scope", s.scope());
    m.put("pricing", pricing(s.pricing()));
    m.put("configuration_schema", s.configurationSchema());
    List<Map<String, Object>> updates = new ArrayList<>();
    for (String u : s.allowedUpdates()) {
      updates.add(Map.of("service", u));
    }
    m.put("allowed_updates", updates);
    return m;
  }

  private static Map<String, Object> pricing(Pricing p) {
    Map<String, Object> m = new LinkedHashMap<>();
    String type = p.type() == Pricing.Type.UNKNOWN && p.typeName() != null ? p.typeName()
        : p.type().name().toLowerCase(Locale.ROOT);
    m.put("type", type);
    Map<String, Object> detail = new LinkedHashMap<>();
    Money exact = p.kind() == Pricing.Kind.KNOWN ? p.amount() : null;
    Money floor = p.kind() == Pricing.Kind.MINIMUM ? p.minimum() : null;
    Money shown = exact != null ? exact : floor;
    if (shown != null) {
      detail.put(exact != null ? "amount" : "minimum_amount", shown.minorUnits());
      detail.put("currency", shown.currencyCode().toLowerCase(Locale.ROOT));
    }
    switch (p.interval()) {
      case MONTHLY:
        detail.put("interval", "month");
        break;
      case YEARLY:
        detail.put("interval", "year");
        break;
      case ONE_TIME:
        detail.put("interval", "one_time");
        break;
      case USAGE:
        detail.put("interval", "usage");
        break;
      default:
        break;
    }
    if (!detail.isEmpty() && p.type() != Pricing.Type.FREE) {
      m.put(type, detail);
    }
    if (p.description() != null) {
      m.put("description", p.description());
    }
    return m;
  }

  @Override
  public synchronized AccountAnswer requestAccount(AccountRequest request) {
    AccountResponse answer = client.requestAccount(new io.agentprovision.core.protocol.AccountRequest(request.id(),
        request.email(), request.name(), null, null, Set.copyOf(request.verifiedFields()), List.of(), List.of("browser"),
        request.configuration(), request.confirmationSecret(), request.expiresAt(), STRIPE_ORCHESTRATOR, null));
    if (answer instanceof AccountResponse.Credentials c) {
      return AccountAnswer.credentials(grant(c.tokens(), request.email(), request.name(), true));
    }
    if (answer instanceof AccountResponse.OAuthCode o) {
      newAccountCodes.put(o.code().reveal(), Boolean.TRUE);
      emailsByCode.put(o.code().reveal(), request.email());
      return AccountAnswer.oauth(o.code().reveal());
    }
    if (answer instanceof AccountResponse.RequiresAuth r) {
      consents.put(request.confirmationSecret().reveal(), new PendingConsent(r.redirectUrl(), request.email()));
      return AccountAnswer.requiresAuth(r.redirectUrl());
    }
    AccountResponse.Error e = (AccountResponse.Error) answer;
    return AccountAnswer.error(e.code(), e.message());
  }

  @Override
  public String consent(String state) {
    PendingConsent pending;
    synchronized (this) {
      pending = consents.remove(state);
    }
    if (pending == null) {
      throw new IllegalStateException("no consent is pending at " + listing.name() + " for that state");
    }
    Map<String, String> callback = consentPage.apply(pending.url());
    if (callback.get("error") != null || !state.equals(callback.get("state")) || callback.get("code") == null) {
      throw new IllegalStateException(listing.name() + "'s consent page answered " + callback.keySet()
          + (callback.get("error") != null ? " (" + callback.get("error") + ")" : " for another request"));
    }
    synchronized (this) {
      emailsByCode.put(callback.get("code"), pending.email());
    }
    return callback.get("code");
  }

  @Override
  public synchronized Grant exchangeCode(String code) {
    ProviderTokens tokens = client.exchangeCode(Secret.of(code), null);
    boolean created = newAccountCodes.remove(code) != null;
    return grant(tokens, emailsByCode.remove(code), null, created);
  }

  private Grant grant(ProviderTokens t, @Nullable String email, @Nullable String name, boolean created) {
    sessions.put(t.accessToken().reveal(), t);
    Duration expiresIn = t.expiresAt() == null ? null : Duration.between(clock.instant(), t.expiresAt());
    String display = email == null ? null : (name == null ? email : name) + "'s Account";
    return new Grant(t.accessToken(), t.refreshToken(), expiresIn, t.accountId(), display, email, created);
  }

  /** The current access token of the session Stripe knows by its first one, refreshed when due. */
  private synchronized Secret access(Secret known) {
    ProviderTokens t = sessions.get(known.reveal());
    if (t == null) {
      return known;
    }
    Secret refresh = t.refreshToken();
    if (refresh != null && t.refreshDue(clock.instant(), REFRESH_SKEW)) {
      t = client.refresh(refresh).keepingRefreshToken(refresh);
      sessions.put(known.reveal(), t);
    }
    return t.accessToken();
  }

  @Override
  public ResourceAnswer createResource(Secret accessToken, ResourceCall call) {
    return answer(null, () -> client.createResource(access(accessToken), new ProviderResourceRequest(call.serviceId(),
        call.configuration(), call.paymentToken(), call.projectId(), call.orchestratorResourceId(), call.environment()),
        call.idempotencyKey()));
  }

  @Override
  public ResourceAnswer getResource(Secret accessToken, String resourceId) {
    return answer(resourceId, () -> client.getResource(access(accessToken), resourceId));
  }

  @Override
  public ResourceAnswer updateResource(Secret accessToken, String resourceId, @Nullable String serviceId,
      Map<String, Object> configuration, @Nullable Secret paymentToken, String idempotencyKey) {
    ProviderResourceUpdate update = new ProviderResourceUpdate(serviceId, configuration.isEmpty() ? null : configuration,
        paymentToken);
    return answer(resourceId, () -> client.updateService(access(accessToken), resourceId, update, idempotencyKey));
  }

  @Override
  public ResourceAnswer rotateCredentials(Secret accessToken, String resourceId) {
    // every rotation Stripe asks for is a new one
    return answer(resourceId, () -> client.rotateCredentials(access(accessToken), resourceId,
        "stripe-rotate-" + UUID.randomUUID()));
  }

  @Override
  public ResourceAnswer removeResource(Secret accessToken, String resourceId) {
    return answer(resourceId, () -> client.removeResource(access(accessToken), resourceId, "stripe-remove-" + resourceId));
  }

  private interface Call {
    ProviderResource run();
  }

  /** The provider's answer; a refusal (4xx) is an {@code error} answer, anything else propagates. */
  private static ResourceAnswer answer(@Nullable String id, Call call) {
    ProviderResource r;
    try {
      r = call.run();
    } catch (ProviderException e) {
      // a refusal: a 4xx, or an error about the request answered with HTTP 200
      boolean refused = (e.status() >= 400 && e.status() < 500) || (e.status() == 200 && e.code() != null);
      if (!refused) {
        throw e;
      }
      return ResourceAnswer.error(id, e.code() == null ? "http_" + e.status() : e.code(), String.valueOf(e.getMessage()));
    }
    String rid = r.id() != null ? r.id() : id;
    if (rid == null) {
      // Stripe keeps a resource for every request; a provider that kept nothing cannot be relayed
      throw new IllegalStateException("the provider answered " + r.status() + " without a resource id, which this "
          + "link to the Stripe sandbox cannot relay");
    }
    switch (r.status()) {
      case COMPLETE:
        return ResourceAnswer.complete(rid, r.accessConfiguration());
      case PENDING:
        return ResourceAnswer.pending(rid);
      case NEEDS_INFORMATION:
        return ResourceAnswer.needsInformation(rid, r.needsInformationSchema() == null ? Map.of()
            : r.needsInformationSchema());
      case REMOVED:
        return ResourceAnswer.removed(rid);
      default:
        return ResourceAnswer.error(rid, r.errorCode() == null ? "errored" : r.errorCode(),
            r.errorMessage() == null ? "the provider reported an error" : r.errorMessage());
    }
  }
}
