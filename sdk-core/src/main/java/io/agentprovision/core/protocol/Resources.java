package io.agentprovision.core.protocol;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.catalog.ServiceOffering;
import io.agentprovision.core.http.Polling;
import io.agentprovision.core.orchestration.AccessConfiguration;
import io.agentprovision.core.orchestration.InformationRequest;
import io.agentprovision.core.orchestration.ResourceRef;
import io.agentprovision.core.orchestration.ResourceRequest;
import io.agentprovision.core.orchestration.ResourceState;
import io.agentprovision.core.orchestration.ResourceStatus;
import io.agentprovision.core.payment.PaymentAuthorization;
import io.agentprovision.core.payment.PaymentToken;
import io.agentprovision.core.protocol.AccountSessions.Session;
import io.agentprovision.core.spi.ProvisioningProvider;
import io.agentprovision.core.spi.StepContext;
import io.agentprovision.core.wire.Digests;
import io.agentprovision.core.wire.Json;
import java.time.Clock;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The {@link DirectOrchestrator}'s resources: create, answer {@code needs_information} (in either
 * form a provider takes), change, read, reveal and rotate credentials, remove; polling while
 * pending, settling each call's payment token, and recording every call in the audit trail. It
 * remembers which account owns each resource, the latest generation of its credentials, and, while
 * a provider waits for information, what an answer as a new request needs: the original request,
 * the answers so far and the payment token last sent.
 */
final class Resources {
  /**
   * The id prefix of a resource the provider did not name (a {@code needs_information} answer
   * without an id): the request's name follows it. Such a resource lives only in this instance.
   */
  static final String UNASSIGNED = "unassigned:";
  /** Error codes of a second {@code remove} that say the resource is gone already, once a read confirms it. */
  private static final Set<String> ALREADY_REMOVED_CODES = Set.of("invalid_state", "already_removed",
      "resource_removed");

  private final AccountSessions sessions;
  private final PaidRequests paid;
  private final BiFunction<String, String, ServiceOffering> services;
  private final Function<String, ProviderBinding> bindings;
  private final Clock clock;
  private final Polling.Backoff pollBackoff;
  private final Map<String, Entry> entries = new ConcurrentHashMap<>();

  Resources(AccountSessions sessions, PaidRequests paid, BiFunction<String, String, ServiceOffering> services,
      Function<String, ProviderBinding> bindings, Clock clock, Polling.Backoff pollBackoff) {
    this.sessions = sessions;
    this.paid = paid;
    this.services = services;
    this.bindings = bindings;
    this.clock = clock;
    this.pollBackoff = pollBackoff;
  }

  /** What is known here about one resource. */
  private static final class Entry {
    final Session session;
    volatile ResourceRef ref;
    volatile @Nullable AccessConfiguration credentials;
    long lastGeneration;
    /** The create request without its payment token, while the provider may need it sent again. */
    volatile @Nullable ProviderResourceRequest request;
    /** The answers given so far, merged into the configuration of a new request. */
    final Map<String, Object> answers = new ConcurrentHashMap<>();
    /** The payment token sent with the call that left the resource waiting: "the same payment credentials". */
    volatile @Nullable PaymentToken keptToken;
    /** The last state of a resource the provider did not name, which cannot be read back. */
    volatile @Nullable ResourceState lastState;

    Entry(ResourceRef ref, Session session) {
      this.ref = ref;
      this.session = session;
    }

    boolean named() {
      return !ref.id().startsWith(UNASSIGNED);
    }
  }

  // ---------------------------------------------------------------- calls

  ResourceState provision(ResourceRequest request, StepContext ctx) {
    Session s = sessions.session(request.provider(), request.account().accountId());
    ServiceOffering service = services.apply(request.provider(), request.serviceId());
    PaidRequests.requirePaymentIfPriced(service, request.payment());
    ProvisioningProvider client = s.binding.client.withRetryObserver(ctx::retrying);
    PaymentToken token = request.payment() == null ? null
        : paid.issue(s.binding, request.payment(), request.name(), ctx, "create");
    ProviderResourceRequest asked = new ProviderResourceRequest(request.serviceId(), request.configuration(), null,
        request.project(), request.name(), request.environment());
    ProviderResourceRequest wire = withPayment(asked, token);
    // one request per reservation, as one payment token per reservation: repeated under the same reservation it
    // is the same request (the provider replays it); a new reservation, made after the last one was settled with
    // nothing charged, sends a new token, so it is a new request rather than the old key with another body
    String key = ctx.idempotencyKey(request.payment() == null ? "create"
        : "create:" + request.payment().reservationId());
    return call(s, null, asked, token, token, ctx, "provider.resource.create", request.serviceId(), request.name(),
        t -> client.createResource(t, wire, key));
  }

  /**
   * Answers {@code needs_information}: as {@code update_service} when the provider named the
   * resource and has not refused that form; else, or when it refuses it, as a new create request
   * with the original configuration, every answer so far and the payment token (a new one for a
   * billable answer, else the one sent before).
   */
  ResourceState submitInformation(ResourceRef resource, Map<String, Object> information,
      @Nullable PaymentAuthorization payment, StepContext ctx) {
    Objects.requireNonNull(information, "information");
    if (information.isEmpty()) {
      throw new InvalidRequestException("information", "is empty", "pass the answers the schema asks for, "
          + "such as {\"domain\": \"my-app.com\"}");
    }
    Entry e = entry(resource);
    Session s = e.session;
    ProviderResourceRequest original = e.request;
    if (!e.named() && original == null) {
      throw new InvalidRequestException("resource", resource.id() + " was never named by the provider and its request"
          + " is no longer known here", "provision it again");
    }
    ProvisioningProvider client = s.binding.client.withRetryObserver(ctx::retrying);
    String op = "submit_information:" + digest(Json.canonical(information));
    PaymentToken issued = payment == null ? null : paid.issue(s.binding, payment, resource.name(), ctx, op);
    PaymentToken token = issued != null ? issued : e.keptToken;
    e.answers.putAll(information);
    ProviderResourceRequest again = null;
    if (original != null) {
      Map<String, Object> configuration = new LinkedHashMap<>(original.configuration());
      configuration.putAll(e.answers);
      again = withPayment(new ProviderResourceRequest(original.serviceId(), configuration, null, original.projectId(),
          original.orchestratorResourceId(), original.environment()), token);
    }
    InformationAnswer byUpdate = e.named() ? new InformationAnswer.ByUpdate(e.ref.id(), information,
        token == null ? null : token.token()) : null;
    ProviderResourceRequest byNewRequest = again;
    return call(s, e, null, issued, token, ctx, "provider.resource.submit_information", e.ref.serviceId(),
        e.ref.name(), t -> {
          if (byUpdate != null && (byNewRequest == null || !s.binding.answersByNewRequest)) {
            try {
              return client.answerInformation(t, byUpdate, ctx.idempotencyKey(op));
            } catch (InformationAnswerRefusedException refused) {
              if (byNewRequest == null) {
                throw refused;
              }
              s.binding.answersByNewRequest = true;
              ctx.audit("provider.resource.answer_form", "update_refused", Map.of("provider", s.binding.name,
                  "resource", e.ref.id(), "code", String.valueOf(refused.code())));
            }
          }
          return client.answerInformation(t, new InformationAnswer.ByNewRequest(Objects.requireNonNull(byNewRequest)),
              ctx.idempotencyKey(op + ":create"));
        });
  }

  ResourceState resource(ResourceRef resource, StepContext ctx) {
    Entry e = entry(resource);
    if (!e.named()) {
      ResourceState last = e.lastState;
      return last != null ? last : ResourceState.of(e.ref, ResourceStatus.NEEDS_INFORMATION);
    }
    ProvisioningProvider client = e.session.binding.client.withRetryObserver(ctx::retrying);
    ProviderResource r = sessions.withAccess(e.session, client, t -> client.getResource(t, e.ref.id()));
    remember(e, r, false);
    return state(e.ref, r, null);
  }

  ResourceState update(ResourceRef resource, @Nullable String newServiceId, Map<String, Object> configuration,
      @Nullable PaymentAuthorization payment, StepContext ctx) {
    Objects.requireNonNull(configuration, "configuration");
    Entry e = entry(resource);
    Session s = e.session;
    if (!e.named()) {
      throw new InvalidRequestException("resource", resource.id() + " waits for information and the provider has not"
          + " named it", "answer it with submitInformation first");
    }
    String serviceId = newServiceId != null ? newServiceId : e.ref.serviceId();
    if (newServiceId != null && !newServiceId.equals(e.ref.serviceId())) {
      services.apply(s.binding.name, e.ref.serviceId()).requireUpdateTo(newServiceId);
      PaidRequests.requirePaymentIfPriced(services.apply(s.binding.name, newServiceId), payment);
    }
    ProvisioningProvider client = s.binding.client.withRetryObserver(ctx::retrying);
    String op = "update:" + digest(serviceId + "\u0000" + Json.canonical(configuration));
    PaymentToken token = payment == null ? null : paid.issue(s.binding, payment, e.ref.name(), ctx, op);
    ProviderResourceUpdate update = new ProviderResourceUpdate(newServiceId,
        configuration.isEmpty() ? null : configuration, token == null ? null : token.token());
    return call(s, e, null, token, token, ctx, "provider.resource.update", serviceId, e.ref.name(),
        t -> client.updateService(t, e.ref.id(), update, ctx.idempotencyKey(op)));
  }

  AccessConfiguration revealCredentials(ResourceRef resource, StepContext ctx) {
    Entry e = entry(resource);
    AccessConfiguration known = e.credentials;
    if (known != null) {
      return known;
    }
    if (!e.named()) {
      throw new ProviderException(e.session.binding.name, 0, "no_credentials", null, "resource " + e.ref.id()
          + " waits for information and has no credentials", false);
    }
    ProvisioningProvider client = e.session.binding.client.withRetryObserver(ctx::retrying);
    ProviderResource r = sessions.withAccess(e.session, client, t -> client.getResource(t, e.ref.id()));
    remember(e, r, false);
    AccessConfiguration now = e.credentials;
    if (now == null) {
      throw new ProviderException(e.session.binding.name, 0, "no_credentials", null, "resource " + e.ref.id()
          + " has no credentials yet (status " + r.status() + ")", r.status() == ResourceStatus.PENDING);
    }
    return now;
  }

  AccessConfiguration rotateCredentials(ResourceRef resource, StepContext ctx) {
    Entry e = entry(resource);
    if (!e.named()) {
      throw new ProviderException(e.session.binding.name, 0, "no_credentials", null, "resource " + e.ref.id()
          + " waits for information and has no credentials to rotate", false);
    }
    ProvisioningProvider client = e.session.binding.client.withRetryObserver(ctx::retrying);
    ProviderResource r = sessions.withAccess(e.session, client,
        t -> client.rotateCredentials(t, e.ref.id(), ctx.idempotencyKey("rotate")));
    if (r.status() == ResourceStatus.PENDING) {
      r = poll(e.session, client, e.ref.id(), ctx);
    }
    if (r.status() != ResourceStatus.COMPLETE || r.accessConfiguration().isEmpty()) {
      ctx.audit("provider.credentials.rotate", "failed", Map.of("provider", e.ref.provider(), "resource", e.ref.id()));
      throw new ProviderException(e.ref.provider(), 200, r.errorCode() == null ? "rotation_failed" : r.errorCode(), null,
          "rotating the credentials of " + e.ref.id() + " did not complete (status " + r.status() + ")"
              + (r.errorMessage() != null ? ": " + r.errorMessage() : ""), false);
    }
    remember(e, r, true);
    AccessConfiguration fresh = Objects.requireNonNull(e.credentials);
    ctx.audit("provider.credentials.rotate", "ok", Map.of("provider", e.ref.provider(), "resource", e.ref.id(),
        "generation", Long.toString(fresh.generation()), "names", String.join(",", fresh.values().keySet())));
    return fresh;
  }

  /**
   * Removes the resource. Idempotent: a provider that answers a second removal with
   * {@code {status:"removed"}}, 404, or {@code invalid_state} for a resource a read shows removed
   * (or cannot find) has the resource gone, and that is done, not an error.
   */
  void remove(ResourceRef resource, StepContext ctx) {
    Entry e = entry(resource);
    if (e.named()) {
      ProvisioningProvider client = e.session.binding.client.withRetryObserver(ctx::retrying);
      try {
        ProviderResource r = sessions.withAccess(e.session, client,
            t -> client.removeResource(t, e.ref.id(), ctx.idempotencyKey("remove")));
        if (r.status() == ResourceStatus.ERRORED && !(alreadyRemoved(r.errorCode()) && gone(e, client))) {
          throw new ProviderException(e.ref.provider(), 200, r.errorCode(), null, "removing " + e.ref.id() + " failed"
              + (r.errorMessage() != null ? ": " + r.errorMessage() : ""), false);
        }
      } catch (ProviderException ex) {
        boolean done = ex.status() == 404 || (ex.status() >= 400 && ex.status() < 500 && alreadyRemoved(ex.code())
            && gone(e, client));
        if (!done) {
          throw ex;
        }
      }
    }
    e.credentials = null;
    paid.revokeQuietly(e.keptToken, e.ref.provider(), ctx, null);
    e.keptToken = null;
    ctx.audit("provider.resource.remove", "removed", Map.of("provider", e.ref.provider(), "resource", e.ref.id(),
        "service", e.ref.serviceId()));
  }

  private static boolean alreadyRemoved(@Nullable String code) {
    return code != null && ALREADY_REMOVED_CODES.contains(code);
  }

  /** Whether a read shows the resource removed or unknown to the provider. */
  private boolean gone(Entry e, ProvisioningProvider client) {
    try {
      return sessions.withAccess(e.session, client, t -> client.getResource(t, e.ref.id())).status()
          == ResourceStatus.REMOVED;
    } catch (ProviderException notFound) {
      if (notFound.status() == 404) {
        return true;
      }
      throw notFound;
    }
  }

  // ---------------------------------------------------------------- one call, settled

  /**
   * Makes a (possibly paid) call, waits out {@code pending}, settles the payment tokens, records the
   * resource and audits.
   *
   * @param from the entry the call was made for, null for a create
   * @param asked the create request to keep while the provider may need it again, else null
   * @param issued the token issued for this call (revoked if the call fails), else null
   * @param sent the token the call carries (the issued one, or one kept from before), else null
   */
  private ResourceState call(Session s, @Nullable Entry from, @Nullable ProviderResourceRequest asked,
      @Nullable PaymentToken issued, @Nullable PaymentToken sent, StepContext ctx, String action, String serviceId,
      String name, Function<Secret, ProviderResource> call) {
    ProvisioningProvider client = s.binding.client.withRetryObserver(ctx::retrying);
    ProviderResource r;
    try {
      r = sessions.withAccess(s, client, call);
    } catch (RuntimeException failure) {
      ctx.audit(action, "failed", auditDetails(s, serviceId, name, from == null ? null : from.ref.id(), sent));
      // the token issued for this call tells what the provider charged: revoked first, then read
      throw issued == null ? failure : paid.reconcile(issued, s.binding.name, ctx, failure);
    }
    String id = r.id() != null ? r.id() : UNASSIGNED + name;
    ResourceRef ref = new ResourceRef(s.binding.name, id, serviceId, name);
    Entry e = entries.computeIfAbsent(key(s.binding.name, id), k -> new Entry(ref, s));
    e.ref = ref;
    if (from != null && from != e) {
      // a new request answered for the resource: what the old entry knew moves to the new one
      e.request = from.request;
      e.answers.putAll(from.answers);
      if (from.keptToken != sent) {
        paid.revokeQuietly(from.keptToken, s.binding.name, ctx, null);
      }
      from.keptToken = null;
      if (!from.named()) {
        entries.remove(key(s.binding.name, from.ref.id()));
      }
    } else if (asked != null && e.request == null) {
      e.request = asked;
    }
    String rid = r.id();
    if (r.status() == ResourceStatus.PENDING && rid != null) {
      // a token sent with a pending call stays: the provider may still charge it when it completes
      try {
        r = poll(s, client, rid, ctx);
      } catch (RuntimeException failure) {
        ctx.audit(action, "pending", auditDetails(s, serviceId, name, rid, sent));
        throw issued == null ? failure : paid.stillPending(issued, s.binding.name, failure);
      }
    }
    Money charged = settle(e, sent, r.status(), ctx);
    remember(e, r, false);
    ResourceState state = state(ref, r, charged);
    if (r.status() == ResourceStatus.NEEDS_INFORMATION) {
      e.lastState = state;
    } else {
      e.request = null;
      e.answers.clear();
      e.lastState = null;
    }
    ctx.audit(action, r.status().name().toLowerCase(Locale.ROOT), auditDetails(s, serviceId, name, id, sent));
    return state;
  }

  /**
   * Settles the payment tokens after a call: the one sent is captured from when the resource is
   * complete; kept while the provider still needs information (an answer sent as a new request
   * carries the same payment credentials); revoked otherwise, and what it captured before that is
   * reported with the state (a provider may charge and still fail the resource). An older kept
   * token is revoked once it is no longer the one to send.
   */
  private @Nullable Money settle(Entry e, @Nullable PaymentToken sent, ResourceStatus status, StepContext ctx) {
    PaymentToken kept = e.keptToken;
    String provider = e.session.binding.name;
    if (kept != null && kept != sent) {
      paid.revokeQuietly(kept, provider, ctx, null);
    }
    e.keptToken = null;
    if (sent == null) {
      return null;
    }
    if (status == ResourceStatus.COMPLETE) {
      return paid.captured(sent);
    }
    if (status == ResourceStatus.NEEDS_INFORMATION) {
      e.keptToken = sent;
      return null;
    }
    paid.revokeQuietly(sent, provider, ctx, null);
    return paid.captured(sent);
  }

  private ProviderResource poll(Session s, ProvisioningProvider client, String id, StepContext ctx) {
    return Polling.until(ctx, s.binding.name + " resource " + id,
        () -> sessions.withAccess(s, client, t -> client.getResource(t, id)),
        x -> x.status() != ResourceStatus.PENDING, pollBackoff);
  }

  private static Map<String, String> auditDetails(Session s, String serviceId, String name, @Nullable String id,
      @Nullable PaymentToken token) {
    Map<String, String> d = new LinkedHashMap<>();
    d.put("provider", s.binding.name);
    d.put("account", s.account.accountId());
    d.put("service", serviceId);
    d.put("name", name);
    if (id != null) {
      d.put("resource", id);
    }
    if (token != null) {
      d.put("payment_token", token.reference());
      d.put("max_amount", token.maxAmount().toString());
    }
    return d;
  }

  private static ResourceState state(ResourceRef ref, ProviderResource r, @Nullable Money charged) {
    Map<String, Object> schema = r.needsInformationSchema();
    InformationRequest info = schema == null ? null : InformationRequest.fromSchema(schema, r.hasId());
    return new ResourceState(ref, r.status(), info, r.errorCode(), r.errorMessage(), null, charged, r.attributes());
  }

  /** Stores the credentials a {@code complete} answer carried: a new generation after a rotation or a change. */
  private void remember(Entry e, ProviderResource r, boolean rotated) {
    if (r.status() == ResourceStatus.REMOVED) {
      e.credentials = null;
      return;
    }
    if (r.status() != ResourceStatus.COMPLETE || r.accessConfiguration().isEmpty()) {
      return;
    }
    synchronized (e) {
      AccessConfiguration old = e.credentials;
      if (!rotated && old != null && sameValues(old.values(), r.accessConfiguration())) {
        return;
      }
      e.lastGeneration++;
      e.credentials = new AccessConfiguration(r.accessConfiguration(), null, clock.instant(), e.lastGeneration);
    }
  }

  private static boolean sameValues(Map<String, Secret> a, Map<String, Secret> b) {
    if (!a.keySet().equals(b.keySet())) {
      return false;
    }
    for (Map.Entry<String, Secret> e : a.entrySet()) {
      Secret other = b.get(e.getKey());
      if (other == null || !e.getValue().matches(other)) {
        return false;
      }
    }
    return true;
  }

  // ---------------------------------------------------------------- which resource

  private Entry entry(ResourceRef ref) {
    Objects.requireNonNull(ref, "resource");
    Entry e = entries.get(key(ref.provider(), ref.id()));
    if (e == null && !ref.id().startsWith(UNASSIGNED)) {
      e = recover(ref);
    }
    if (e == null) {
      throw new InvalidRequestException("resource", ref.provider() + " resource " + ref.id()
          + " was not provisioned through this orchestrator", "provision it with this orchestrator instance");
    }
    return e;
  }

  /**
   * Finds which linked account owns a resource this instance has not seen (a restarted host): the
   * provider shows a resource only to the account that owns it.
   */
  private @Nullable Entry recover(ResourceRef ref) {
    bindings.apply(ref.provider());
    for (String accountId : sessions.accountIds(ref.provider())) {
      Session owner = sessions.find(ref.provider(), accountId);
      if (owner == null) {
        continue;
      }
      try {
        sessions.withAccess(owner, owner.binding.client, t -> owner.binding.client.getResource(t, ref.id()));
      } catch (ProviderException notTheirs) {
        if (notTheirs.status() == 404 || notTheirs.status() == 403) {
          continue;
        }
        throw notTheirs;
      }
      return entries.computeIfAbsent(key(ref.provider(), ref.id()), k -> new Entry(ref, owner));
    }
    return null;
  }

  private static ProviderResourceRequest withPayment(ProviderResourceRequest r, @Nullable PaymentToken token) {
    return new ProviderResourceRequest(r.serviceId(), r.configuration(), token == null ? null : token.token(),
        r.projectId(), r.orchestratorResourceId(), r.environment());
  }

  private static String key(String provider, String id) {
    return provider + "\u0000" + id;
  }

  private static String digest(String s) {
    return HexFormat.of().formatHex(Digests.sha256(s)).substring(0, 16);
  }
}
