package io.agentprovision.core.internal.engine;

import io.agentprovision.core.Deployment;
import io.agentprovision.core.Money;
import io.agentprovision.core.PlannedStep;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.RunId;
import io.agentprovision.core.Secret;
import io.agentprovision.core.StepId;
import io.agentprovision.core.StepKind;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.approval.CheckpointRequest;
import io.agentprovision.core.catalog.Pricing;
import io.agentprovision.core.catalog.ServiceOffering;
import io.agentprovision.core.journal.StepRecord;
import io.agentprovision.core.orchestration.AccessConfiguration;
import io.agentprovision.core.orchestration.InformationRequest;
import io.agentprovision.core.orchestration.ResourceRef;
import io.agentprovision.core.orchestration.ResourceRequest;
import io.agentprovision.core.orchestration.ResourceState;
import io.agentprovision.core.orchestration.ResourceStatus;
import io.agentprovision.core.payment.PaymentAuthorization;
import io.agentprovision.core.policy.SpendRequest;
import io.agentprovision.core.policy.VelocityAction;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.SpendAuthorization;
import io.agentprovision.core.vault.VaultEntry;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * Provisions one catalog service in the run's account, paying for it: policy check, reservation,
 * approval where the policy wants one, the orchestrator's call under the step's idempotency key
 * (with the questions the provider asks answered, round by round; each call through
 * {@link StepRun#paid}, reconciled when its answer is lost), then commit (or release, when the call
 * certainly charged nothing). Undone by removing the resource; a charge is reported as not
 * refunded. {@link PlanStep} and {@link ResourceStep} are the two the first-day flow has;
 * {@link CatalogServiceStep} is one per service a request names, with its configuration, and keeps the
 * resource's credentials in the vault ({@link #credentialKey}).
 *
 * <p>What it reserves follows what the catalog says before buying ({@link Step.Price}): a known
 * price or a minimum is reserved as it is; a price not known before buying (an unknown or estimated
 * price, a Stripe price not looked up) is reserved at the plan's cap, the payment token is capped
 * there, a person allows up to it where the policy wants a person, and what the provider reports it
 * charged (at most the cap) is committed. A component priced under the run's plan is resolved for
 * that plan ({@link Pricing#underParent}); one that is billed with its plan reserves nothing.
 */
abstract class ServiceStep extends BaseStep<ServiceStep.Provisioned> {
  /** Journaled before an answer that sets the price, so that a step run again after it went through knows it. */
  record Priced(String resourceId, Money price) {}

  /**
   * The resource and what it cost.
   *
   * @param credentials the names of the resource's credentials kept in the vault under
   *     {@link #credentialKey} (empty when none were revealed)
   * @param reusedFrom the run that bought it, when this run reused that run's purchase (and paid nothing)
   */
  record Provisioned(ResourceRef resource, @Nullable Money charged, List<String> credentials,
      @Nullable RunId reusedFrom)
      implements ProvisionedResource {
    Provisioned {
      Objects.requireNonNull(resource, "resource");
      credentials = credentials == null ? List.of() : List.copyOf(credentials); // absent in older journals
    }

    Provisioned(ResourceRef resource, @Nullable Money charged) {
      this(resource, charged, List.of(), null);
    }

    Provisioned(ResourceRef resource, @Nullable Money charged, List<String> credentials) {
      this(resource, charged, credentials, null);
    }

    @Override
    public Deployment.ResourceSummary resourceSummary() {
      return new Deployment.ResourceSummary(resource.serviceId(), resource.id(), resource.name(), charged);
    }
  }

  private final ServiceOffering service;
  private final CheckpointKind checkpoint;
  private final Map<String, Object> configuration;
  private final @Nullable String parentPlan;
  private final boolean keepCredentials;

  ServiceStep(StepId id, StepKind kind, ServiceOffering service, CheckpointKind checkpoint, List<StepId> dependsOn,
      String description) {
    this(id, kind, service, checkpoint, Map.of(), null, false, dependsOn, description);
  }

  /**
   * @param configuration the service's configuration (already checked against its schema), sent with
   *     the request and read for answers to the provider's questions
   * @param parentPlan the run's plan, which prices a component service, or null
   * @param keepCredentials whether to reveal the resource's credentials into the vault once it is provisioned
   */
  ServiceStep(StepId id, StepKind kind, ServiceOffering service, CheckpointKind checkpoint,
      Map<String, Object> configuration, @Nullable String parentPlan, boolean keepCredentials, List<StepId> dependsOn,
      String description) {
    super(id, kind, dependsOn, description, Provisioned.class);
    this.service = service;
    this.checkpoint = checkpoint;
    this.configuration = Collections.unmodifiableMap(new LinkedHashMap<>(configuration));
    this.parentPlan = parentPlan;
    this.keepCredentials = keepCredentials;
  }

  /** Where the credential {@code name} of the resource step {@code step} of {@code run} is kept in the vault. */
  static String credentialKey(RunId run, StepId step, String name) {
    return credentialPrefix(run, step) + name;
  }

  /** Where the credentials of the resource step {@code step} of {@code run} are kept: every key starts so. */
  static String credentialPrefix(RunId run, StepId step) {
    return credentialsPrefix(run) + step + "/";
  }

  /** Where the credentials of every catalog service of {@code run} are kept. */
  static String credentialsPrefix(RunId run) {
    return "runs/" + run + "/services/";
  }
  /** The catalog's price for this step: for its configuration, and under the run's plan for a component. */
  private Pricing pricing() {
    Pricing listed = service.pricing();
    if (listed.type() == Pricing.Type.COMPONENT && parentPlan != null) {
      return listed.underParent(parentPlan);
    }
    return listed.forConfiguration(configuration);
  }

  /** Whether the service is billed through its plan: a component, which needs no payment of its own. */
  private boolean billedWithParent() {
    return service.pricing().type() == Pricing.Type.COMPONENT;
  }

  @Override
  public Price price() {
    return Price.of(service.id(), checkpoint, pricing(), billedWithParent());
  }

  /**
   * Whether a purchase of this step is shared by every run acting for the same person at the same
   * provider (a plan: one per account), so that a run finds another's and reuses it.
   */
  boolean onePerPerson() {
    return false;
  }

  /** The catalog service this step provisions. */
  ServiceOffering service() {
    return service;
  }

  @Override
  public Provisioned run(StepRun ctx) {
    if (!onePerPerson()) {
      return provision(ctx);
    }
    for (int n = 1; ; n++) {
      PrincipalLock.take(ctx);
      Provisioned found = boughtElsewhere(ctx);
      if (found != null) {
        return found;
      }
      RunId paying = PrincipalLock.payingElsewhere(ctx, id());
      if (paying == null) {
        PrincipalLock.filePaying(ctx, id());
        try {
          return provision(ctx);
        } catch (PrincipalLock.Lost lost) {
          continue; // another run took the person's lock while this one was asking: look again
        }
      }
      // let the paying run have the lock (it needs it to finish, if it is resumed), and wait for its release
      String lock = PrincipalLock.name(ctx.requirePrincipal(), ctx.request().provider());
      ctx.unlock(lock);
      PrincipalLock.waitTurn(ctx, n, lock, LockSignals.seen(lock), "run " + paying + " for the same person is "
          + "paying for " + service.id() + " and has not finished");
    }
  }

  /**
   * What other runs for the same person bought of {@code service} as step {@code step} in
   * {@code account}, newest run first: the purchases a run may reuse once it knows each is still
   * active. Read as the caller iterates, so that a caller stopping at the first it can use reads only
   * the runs it looks at.
   */
  static Iterable<PrincipalLock.Found<Provisioned>> boughtInAccount(StepRun ctx, StepId step, String service,
      String account) {
    return PrincipalLock.mapped(PrincipalLock.finishedElsewhere(ctx, step, Provisioned.class),
        other -> other.output().resource().serviceId().equals(service) && account.equals(accountOf(ctx, other.run()))
            ? other : null);
  }

  /** The account {@code run}'s account step linked, or null while it has none. */
  private static @Nullable String accountOf(StepRun ctx, RunId run) {
    StepRecord s = ctx.config().journal().step(run, AccountStep.ID).orElse(null);
    String json = s == null ? null : s.output();
    return json == null ? null : OutputCodec.decode(json, AccountStep.Linked.class, run, AccountStep.ID).account()
        .accountId();
  }

  /**
   * The same service another run for the same person bought in the same account, still active; null
   * when none. Runs that reused one purchase name the same resource: it is read once.
   */
  private @Nullable Provisioned boughtElsewhere(StepRun ctx) {
    String account = ctx.output(AccountStep.class).account().accountId();
    Set<String> looked = new HashSet<>();
    for (PrincipalLock.Found<Provisioned> other : boughtInAccount(ctx, id(), service.id(), account)) {
      ResourceRef ref = other.output().resource();
      if (!looked.add(ref.id())) {
        continue; // another run's reuse of a purchase already found not active
      }
      // the account step may have read it moments ago, while the payment method was made ready
      ResourceState state = ctx.takeReadAhead(ref);
      if (state == null) {
        try {
          state = ctx.orchestrator().resource(ref, ctx);
        } catch (RuntimeException e) {
          continue; // cannot tell it is still active: not reused
        }
      }
      if (state.status() != ResourceStatus.COMPLETE) {
        continue;
      }
      RunId from = other.output().reusedFrom() != null ? other.output().reusedFrom() : other.run();
      ctx.audit("resource.reused").key(ctx.idempotencyKey()).detail("service", service.id())
          .detail("resource", ref.id()).detail("from_run", String.valueOf(from)).record();
      return new Provisioned(ref, null, List.of(), from);
    }
    return null;
  }

  private Provisioned provision(StepRun ctx) {
    ProvisionRequest req = ctx.request();
    Pricing pricing = pricing();
    VelocityAction counted = velocity();
    if (counted != null) {
      ctx.velocity().count(counted);
    }
    SpendAuthorization auth = null;
    Money reserved = null;
    boolean capped = false;
    if (pricing.isPaid() && !billedWithParent()) {
      PlannedStep planned = ctx.planned();
      reserved = Objects.requireNonNull(planned.quote(), "the plan priced " + id());
      capped = !planned.priceFinal();
      String what = capped ? PriceTerms.unknownBeforeBuying(pricing) : pricing.description();
      SpendRequest spend = new SpendRequest(checkpoint, req.provider(), reserved, service.id()
          + (what != null ? " (" + what + ")" : ""), Map.of("service", service.id()));
      auth = capped ? ctx.authorizeUpTo(spend) : ctx.authorizeSpend(spend);
      reserved = auth.payment().maxAmount(); // a cap is lower than planned when the run spent meanwhile
    }
    // the price once it is known: the catalog's, or a choice's in an answer; null while only the cap is
    Money price = capped ? null : reserved;
    SpendAuthorization held = auth;
    ResourceRequest request = ResourceRequest.builder(req.provider(), service.id(), name(req, id()),
        ctx.output(AccountStep.class).account()).configuration(configuration).project(req.project())
        .environment(req.environment()).payment(auth == null ? null : auth.payment()).build();
    // every call under the reservation goes through paid(): a lost answer is reconciled by repeating it
    ResourceState state = ctx.paid(held, "provisioning " + service.id(),
        () -> settledOrAsking(ctx.orchestrator().provision(request, ctx)));
    Priced before = ctx.savedProgress(Priced.class);
    // answered and bought before an interruption: the call repeated now is the step's first, whose own
    // payment the purchase did not use, so what it says it charged is not what the purchase cost
    boolean boughtBefore = false;
    if (before != null && state.status() == ResourceStatus.COMPLETE) {
      price = before.price();
      boughtBefore = true;
    }
    int round = 0;
    while (state.status() == ResourceStatus.NEEDS_INFORMATION) {
      Map<String, Object> answers = new LinkedHashMap<>();
      PaymentAuthorization paying = null;
      try {
        InformationRounds.checkRound(++round, state, service.id());
        InformationRequest info = state.needsInformation();
        if (info == null) {
          info = InformationRequest.fromSchema(Map.of());
        }
        InformationRounds.requireReadable(info, state, service.id());
        for (String field : InformationRounds.asked(info)) {
          Object answer = configuration.get(field);
          if (answer == null) {
            answer = InformationRounds.askPerson(ctx, state, service.id(), info, field);
          }
          answers.put(field, answer);
          Money chosen = priceOf(info, field, String.valueOf(answer));
          if (chosen != null && auth != null) {
            // the choice says what it costs: no more than the step holds, confirmed by a person when it was
            // not known before, and the payment for the answer capped at it
            ctx.requireWithin(auth, chosen, service.id() + " " + field + "=" + answer);
            if (capped && ctx.config().spendPolicy().requiresApproval(chosen)) {
              ctx.checkpoint(CheckpointRequest.confirm(checkpoint, "Pay " + chosen + " for " + service.id() + " ("
                  + field + " " + answer + ")", "the price became known with the provider's question; the step holds "
                  + "up to " + reserved).withCost(chosen).withDetails(Map.of("service", service.id(), field,
                      String.valueOf(answer), "reservation", auth.payment().reservationId())));
            }
            price = chosen;
            paying = narrowed(auth.payment(), chosen, service.id() + " " + field + " " + answer);
          }
        }
      } catch (RuntimeException refused) {
        // refused here, between calls (a price above the cap, a question nobody answers): every call so
        // far was answered with a question, so nothing was bought and nothing stays held
        InformationRounds.releaseUnbought(ctx, held);
        throw refused;
      }
      if (paying != null) {
        ctx.saveProgress(new Priced(state.ref().id(), paying.maxAmount()));
      }
      ResourceRef asking = state.ref();
      PaymentAuthorization answerPayment = paying;
      state = ctx.paid(held, "answering " + service.id(), () -> settledOrAsking(
          ctx.orchestrator().submitInformation(asking, answers, answerPayment, ctx)));
    }
    Money charged = null;
    if (auth != null) {
      Money quote = price != null ? price : Objects.requireNonNull(reserved);
      charged = boughtBefore ? chargedAfterResume(state, quote, Objects.requireNonNull(reserved))
          : chargedOr(state, quote);
      auth.commit(charged);
    }
    ctx.audit("resource.provisioned").amount(charged).key(ctx.idempotencyKey()).detail("service", service.id())
        .detail("resource", state.ref().id()).detail("priced", auth == null ? "free" : price != null ? "before buying"
            : "after the call, within " + reserved).record();
    return new Provisioned(state.ref(), charged, afterProvisioned(ctx, state.ref()));
  }

  /**
   * What the step does once its resource exists: keeps the resource's credentials in the vault when
   * it was made to, and returns the names kept under {@link #credentialKey}.
   */
  List<String> afterProvisioned(StepRun ctx, ResourceRef ref) {
    return keepCredentials ? keepCredentials(ctx, ref) : List.of();
  }

  /**
   * Reveals the resource's credentials and keeps each in the vault (replacing what a run interrupted
   * here kept before); returns their names. The journal and the audit get the names only.
   */
  private List<String> keepCredentials(StepRun ctx, ResourceRef ref) {
    AccessConfiguration access = ctx.orchestrator().revealCredentials(ref, ctx);
    CredentialVault vault = ctx.vault();
    TreeSet<String> names = new TreeSet<>(access.values().keySet());
    for (String name : names) {
      Secret value = access.values().get(name);
      vault.put(new VaultEntry(credentialKey(ctx.runId(), id(), name), Objects.requireNonNull(value),
          Map.of("provider", ref.provider(), "service", ref.serviceId(), "resource", ref.id(), "generation",
              String.valueOf(access.generation())), ctx.clock().instant(), access.expiresAt()));
    }
    if (!names.isEmpty()) {
      ctx.audit("credentials.stored").key(ctx.idempotencyKey()).detail("resource", ref.id())
          .detail("service", ref.serviceId()).detail("names", String.join(",", names))
          .detail("vault_prefix", credentialPrefix(ctx.runId(), id())).record();
    }
    return List.copyOf(names);
  }

  /** {@code s} while the provider still asks; else it must be complete ({@link #requireComplete}). */
  private ResourceState settledOrAsking(ResourceState s) {
    if (s.status() != ResourceStatus.NEEDS_INFORMATION) {
      requireComplete(s, service.id());
    }
    return s;
  }

  /** The exact price of the offered value {@code value} of {@code field}, when the provider gave one. */
  static @Nullable Money priceOf(InformationRequest info, String field, String value) {
    for (InformationRequest.Choice c : info.choicesFor(field)) {
      if (c.value().equals(value)) {
        return c.price();
      }
    }
    return null;
  }

  /** The step's payment narrowed to {@code price} under the same reservation, for the answer that buys. */
  static PaymentAuthorization narrowed(PaymentAuthorization held, Money price, String description) {
    return new PaymentAuthorization(held.reservationId(), price, held.expiresAt(), description);
  }

  @Override
  public Compensation compensate(StepRun ctx, Provisioned out) {
    ResourceRef ref = out.resource();
    if (out.reusedFrom() != null) {
      return Compensation.NOTHING; // run reusedFrom bought it and keeps it
    }
    ctx.orchestrator().remove(ref, ctx);
    for (String name : out.credentials()) {
      ctx.vault().delete(credentialKey(ctx.runId(), id(), name)); // the resource is gone, and its credentials with it
    }
    Compensation c = Compensation.undone("removed " + ref.serviceId() + " (" + ref.id() + ")");
    return out.charged() == null ? c : c.andCannotUndo(out.charged() + " already charged for " + ref.serviceId()
        + " is not refunded by cancelling it");
  }

  @Override
  public String summary(Provisioned out) {
    return out.resource().id() + (out.charged() != null ? " for " + out.charged() : "")
        + (out.reusedFrom() != null ? " (reused from " + out.reusedFrom() + ")" : "");
  }

  /** Fails unless the provider says the resource is complete, with its reasons when it says otherwise. */
  static void requireComplete(ResourceState s, String service) {
    if (s.status() == ResourceStatus.COMPLETE) {
      return;
    }
    String code = s.errorCode() != null ? s.errorCode() : s.status().name().toLowerCase(Locale.ROOT);
    ProviderException failed = ProviderException.builder(s.ref().provider(), service + " resource " + s.ref().id()
        + " ended " + s.status() + (s.errorMessage() != null ? ": " + s.errorMessage() : "")
        + (s.userMessage() != null ? " (" + s.userMessage() + ")" : "")).code(code).retryable(false)
        // the provider answered: a resource it reports as not complete was not paid for, unless it says it charged
        .outcome(ProviderException.Outcome.NOT_EXECUTED).build();
    Money charged = s.charged();
    throw charged != null && charged.isPositive() ? failed.reconciled(charged, false) : failed;
  }

  /**
   * What the provider says it charged, when that is within {@code quote} (the price, or the cap when
   * the price was not known); otherwise {@code quote}, so that nothing charged goes uncounted.
   */
  static Money chargedOr(ResourceState s, Money quote) {
    Money c = s.charged();
    return c != null && c.sameCurrency(quote) && !c.greaterThan(quote) ? c : quote;
  }

  /**
   * What to commit for a resource the step finds complete when it runs again, its purchase made by an
   * answer sent before an interruption (the answer lost, or the host gone before the ledger was told):
   * the price saved before that answer was sent, which its payment was capped at ({@code saved}; the
   * cap when the offer named no price), or what the repeated call says it charged when that is more and
   * within what the step holds ({@code held}). The repeated call is the step's first, and what its own
   * payment captured does not say what the purchase cost: a provider that charged the answer's payment
   * reports nothing charged on it. Committing less than {@code saved} would give back money that was
   * spent.
   */
  static Money chargedAfterResume(ResourceState s, Money saved, Money held) {
    Money c = s.charged();
    return c != null && c.sameCurrency(saved) && c.greaterThan(saved) && c.sameCurrency(held) && !c.greaterThan(held)
        ? c : saved;
  }

  /** The resource's name: the project, then the step, so that it is the same on every retry. */
  static String name(ProvisionRequest req, StepId step) {
    return NOT_NAME.matcher(req.project().toLowerCase(Locale.ROOT)).replaceAll("-") + "-"
        + NOT_NAME.matcher(step.value().toLowerCase(Locale.ROOT)).replaceAll("-");
  }

  /** Runs of what a resource name may not hold; compiled once, as every step that provisions asks. */
  private static final java.util.regex.Pattern NOT_NAME = java.util.regex.Pattern.compile("[^a-z0-9]+");
}
