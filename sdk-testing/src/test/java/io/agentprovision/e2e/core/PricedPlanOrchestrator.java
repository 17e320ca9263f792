package io.agentprovision.e2e.core;

import io.agentprovision.core.Money;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.catalog.Catalog;
import io.agentprovision.core.catalog.Pricing;
import io.agentprovision.core.catalog.ServiceOffering;
import io.agentprovision.core.orchestration.InformationRequest;
import io.agentprovision.core.orchestration.ResourceRef;
import io.agentprovision.core.orchestration.ResourceRequest;
import io.agentprovision.core.orchestration.ResourceState;
import io.agentprovision.core.orchestration.ResourceStatus;
import io.agentprovision.core.payment.PaymentAuthorization;
import io.agentprovision.core.spi.Orchestrator;
import io.agentprovision.core.spi.StepContext;
import io.agentprovision.testing.SimulatedCrash;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A provider whose paid plan ({@code workers:paid}) is priced in whatever form a test lists, charges
 * what the test says it charges (never more than the payment it was given allows), may ask questions
 * before it completes, and may keep quiet about what it charged. Everything else goes to the fake.
 */
final class PricedPlanOrchestrator extends DelegatingOrchestrator {
  static final String PLAN = "workers:paid";

  private final Map<String, Pricing> pricing = new HashMap<>();
  private Money charge = Money.usd("5.00");
  private boolean reportsCharge = true;
  private @Nullable Map<String, Object> question;
  private boolean asksForever;
  private final AtomicInteger ids = new AtomicInteger();
  /** The payment given with each call for the plan, in order (null for none). */
  final List<@Nullable PaymentAuthorization> payments = new CopyOnWriteArrayList<>();
  /** The answers given to the plan's questions, in order. */
  final List<Map<String, Object>> answers = new CopyOnWriteArrayList<>();
  /** What the plan was charged, in order. */
  final List<Money> charges = new CopyOnWriteArrayList<>();
  private final Map<String, PaymentAuthorization> firstPayment = new HashMap<>();
  /** The plan resource made for each idempotency key, and whether it was bought. */
  private final Map<String, ResourceRef> byKey = new HashMap<>();
  private final Map<String, Boolean> bought = new HashMap<>();
  private boolean replays;
  private boolean dieAfterPurchase;

  PricedPlanOrchestrator(Orchestrator fake) {
    super(fake);
  }

  /** Lists {@code serviceId} with {@code p} instead of the fake's price. */
  PricedPlanOrchestrator price(String serviceId, Pricing p) {
    pricing.put(serviceId, p);
    return this;
  }

  /** What the provider charges for the plan when no priced answer says otherwise. */
  PricedPlanOrchestrator charges(Money amount) {
    this.charge = amount;
    return this;
  }

  /** The provider completes the plan without saying what it charged. */
  PricedPlanOrchestrator quietAboutCharges() {
    this.reportsCharge = false;
    return this;
  }

  /** The provider asks this schema once before completing the plan. */
  PricedPlanOrchestrator asks(Map<String, Object> schema) {
    this.question = schema;
    return this;
  }

  /**
   * The plan's creation repeated with the same idempotency key is answered with the resource as it
   * stands, as a protocol provider replays it: complete once an answer bought it, with nothing
   * charged by the repeated call itself (its payment was not the one the purchase used).
   */
  PricedPlanOrchestrator replaysByKey() {
    this.replays = true;
    return this;
  }

  /** The host dies once, right after the provider answered the answer that bought the plan. */
  PricedPlanOrchestrator hostDiesAfterPurchase() {
    this.dieAfterPurchase = true;
    return this;
  }

  /** The provider asks the same question again after every answer. */
  PricedPlanOrchestrator asksForever(Map<String, Object> schema) {
    this.question = schema;
    this.asksForever = true;
    return this;
  }

  @Override
  public Catalog catalog(String provider) {
    Catalog c = super.catalog(provider);
    List<ServiceOffering> services = new ArrayList<>();
    for (ServiceOffering s : c.services()) {
      Pricing p = pricing.get(s.id());
      services.add(p == null ? s : s.toBuilder().pricing(p).build());
    }
    return new Catalog(c.provider(), services);
  }

  @Override
  public ResourceState provision(ResourceRequest request, StepContext ctx) {
    if (!request.serviceId().equals(PLAN)) {
      return super.provision(request, ctx);
    }
    payments.add(request.payment());
    ResourceRef seen = replays ? byKey.get(ctx.idempotencyKey()) : null;
    if (seen != null && Boolean.TRUE.equals(bought.get(seen.id()))) {
      return ResourceState.builder(seen, ResourceStatus.COMPLETE)
          .charged(reportsCharge ? Money.zero(charge.currency()) : null).build();
    }
    ResourceRef ref = seen != null ? seen
        : new ResourceRef(request.provider(), "res_plan_" + ids.incrementAndGet(), PLAN, request.name());
    byKey.put(ctx.idempotencyKey(), ref);
    if (request.payment() != null) {
      firstPayment.put(ref.id(), request.payment());
    }
    if (question != null) {
      return ResourceState.builder(ref, ResourceStatus.NEEDS_INFORMATION)
          .needsInformation(InformationRequest.fromSchema(question)).build();
    }
    return complete(ref, request.payment(), null);
  }

  @Override
  public ResourceState submitInformation(ResourceRef resource, Map<String, Object> information,
      @Nullable PaymentAuthorization payment, StepContext ctx) {
    if (!resource.serviceId().equals(PLAN)) {
      return super.submitInformation(resource, information, payment, ctx);
    }
    payments.add(payment);
    answers.add(Map.copyOf(information));
    if (asksForever) {
      return ResourceState.builder(resource, ResourceStatus.NEEDS_INFORMATION)
          .needsInformation(InformationRequest.fromSchema(question)).build();
    }
    Money chosen = null;
    InformationRequest asked = InformationRequest.fromSchema(question);
    for (Map.Entry<String, Object> e : information.entrySet()) {
      for (InformationRequest.Choice c : asked.choicesFor(e.getKey())) {
        if (c.value().equals(String.valueOf(e.getValue())) && c.price() != null) {
          chosen = c.price();
        }
      }
    }
    ResourceState done = complete(resource, payment != null ? payment : firstPayment.get(resource.id()), chosen);
    bought.put(resource.id(), true);
    if (dieAfterPurchase) {
      dieAfterPurchase = false;
      throw new SimulatedCrash("submitInformation", 1, true);
    }
    return done;
  }

  @Override
  public void remove(ResourceRef resource, StepContext ctx) {
    if (!resource.serviceId().equals(PLAN)) {
      super.remove(resource, ctx);
    }
  }

  private ResourceState complete(ResourceRef ref, @Nullable PaymentAuthorization payment, @Nullable Money price) {
    Money amount = price != null ? price : charge;
    if (payment == null || !payment.maxAmount().sameCurrency(amount) || payment.maxAmount().lessThan(amount)) {
      throw new ProviderException(ref.provider(), 402, "payment_declined", null, PLAN + " costs " + amount
          + " and the payment allows " + (payment == null ? "nothing" : payment.maxAmount()), false);
    }
    charges.add(amount);
    return ResourceState.builder(ref, ResourceStatus.COMPLETE).charged(reportsCharge ? amount : null).build();
  }
}
