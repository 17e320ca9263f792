package io.agentprovision.core.internal.engine;

import io.agentprovision.core.InformationRequiredException;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProviderException;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.approval.CheckpointRequest;
import io.agentprovision.core.orchestration.InformationRequest;
import io.agentprovision.core.orchestration.ResourceState;
import io.agentprovision.core.spi.SpendAuthorization;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What the steps share about a provider's {@code needs_information}: which properties a round asks,
 * how many rounds a step answers before giving up, and how a question the engine cannot answer from
 * the request goes to a person (an {@link CheckpointKind#ACTION_REQUIRED} checkpoint whose approving
 * decision carries the answer in its {@link ApprovalDecision#response()}) or fails with an
 * {@link InformationRequiredException} naming it.
 */
final class InformationRounds {
  /** The most rounds of questions a step answers; a provider that asks more is refused. */
  static final int MAX_ROUNDS = 5;

  private InformationRounds() {}

  /**
   * Gives back what a step holds when the engine itself stops it between calls (a look-alike, a
   * price above the cap, a question nobody answers, too many rounds): every call made so far was
   * answered with another question, so nothing was bought. Such a refusal says nothing about a
   * charge by its type, so the step's settling would otherwise hold the money as uncertain. A
   * reservation made before an interruption stays held for a resume to settle ({@code release}
   * decides), and so does everything while the run is stopping (cancelled, or crashed elsewhere),
   * as {@link Spending} leaves it.
   */
  static void releaseUnbought(StepRun ctx, @Nullable SpendAuthorization held) {
    if (held != null && !ctx.stopping()) {
      held.release();
    }
  }

  /**
   * The properties a round asks about: those its choices answer, then the other properties it
   * requires, in the schema's order.
   */
  static List<String> asked(InformationRequest info) {
    List<String> out = new ArrayList<>(info.fields());
    for (String r : info.required()) {
      if (!out.contains(r)) {
        out.add(r);
      }
    }
    return out;
  }

  /** Fails when the provider asks again beyond {@link #MAX_ROUNDS}, naming what it asks now. */
  static void checkRound(int round, ResourceState state, String serviceId) {
    if (round <= MAX_ROUNDS) {
      return;
    }
    InformationRequest info = state.needsInformation();
    List<String> fields = info == null ? List.of() : asked(info);
    String field = fields.isEmpty() ? "?" : fields.get(0);
    throw new InformationRequiredException(state.ref().provider(), serviceId, field,
        info == null ? field : question(info, field), info == null ? List.of() : values(info, field),
        "it asked again after " + MAX_ROUNDS + " rounds of answers");
  }

  /** Fails when a round asks nothing the engine can read (no choices and no required property). */
  static void requireReadable(InformationRequest info, ResourceState state, String serviceId) {
    if (asked(info).isEmpty()) {
      throw new ProviderException(state.ref().provider(), 0, "unreadable_information_request", null, "the provider "
          + "needs information for " + serviceId + " (" + state.ref().id() + ") but its schema names no property to "
          + "answer: " + info.schema(), false);
    }
  }

  /** The question for {@code field} as the provider put it: the property's title or description, else its name. */
  static String question(InformationRequest info, String field) {
    Object props = info.schema().get("properties");
    if (props instanceof Map<?, ?> m && m.get(field) instanceof Map<?, ?> prop) {
      Object t = prop.get("title") != null ? prop.get("title") : prop.get("description");
      if (t instanceof String s && !s.isBlank()) {
        return s;
      }
    }
    return field;
  }

  /** The values offered for {@code field}, available ones first as the provider listed them. */
  static List<String> values(InformationRequest info, String field) {
    List<String> out = new ArrayList<>();
    for (InformationRequest.Choice c : info.choicesFor(field)) {
      if (c.available()) {
        out.add(c.value());
      }
    }
    return out;
  }

  /**
   * Puts a question the engine cannot answer to a person, showing the offered values and their
   * prices; returns the answer the approving decision carries for {@code field}.
   *
   * @throws InformationRequiredException when the person approved without an answer, or with a value
   *     the provider did not offer
   * @throws io.agentprovision.core.approval.ApprovalDeniedException when the person declines or does not answer in time
   */
  static String askPerson(StepRun ctx, ResourceState state, String serviceId, InformationRequest info, String field) {
    String question = question(info, field);
    List<String> offered = values(info, field);
    Map<String, String> details = new LinkedHashMap<>();
    details.put("field", field);
    details.put("service", serviceId);
    details.put("resource", state.ref().id());
    int i = 0;
    for (InformationRequest.Choice c : info.choicesFor(field)) {
      if (c.available()) {
        details.put("choice." + (++i), c.value() + priceWords(c));
      }
    }
    ApprovalDecision d = ctx.checkpoint(CheckpointRequest.confirm(CheckpointKind.ACTION_REQUIRED,
        state.ref().provider() + " asks: " + question, "provisioning " + serviceId + " needs an answer to '" + field
            + "' that the request does not give" + (offered.isEmpty() ? "" : "; choose one of " + offered)
            + ", and approve with it as the response")
        .withDetails(details));
    String answer = d.response().get(field);
    if (answer == null || answer.isBlank()) {
      throw new InformationRequiredException(state.ref().provider(), serviceId, field, question, offered,
          "the person approved without an answer");
    }
    if (!offered.isEmpty() && !offered.contains(answer)) {
      throw new InformationRequiredException(state.ref().provider(), serviceId, field, question, offered,
          "the answer '" + answer + "' is not one of the values offered");
    }
    ctx.audit("information.answered").approver(d.approver()).detail("field", field).detail("service", serviceId)
        .detail("by", "person").record();
    return answer;
  }

  /** A choice's price for a person: exact, at least, about, or nothing when the provider named none. */
  static String priceWords(InformationRequest.Choice c) {
    Money p = c.price();
    if (p != null) {
      return " — " + p;
    }
    io.agentprovision.core.catalog.Pricing pricing = c.pricing();
    if (pricing != null && pricing.kind() == io.agentprovision.core.catalog.Pricing.Kind.MINIMUM) {
      return " — at least " + pricing.minimum();
    }
    if (pricing != null && pricing.kind() == io.agentprovision.core.catalog.Pricing.Kind.ESTIMATE) {
      return " — about " + pricing.amount();
    }
    return "";
  }

  /** The lowest amount a choice is known to cost (its price, or its minimum), or null when none is known. */
  static @Nullable Money floor(InformationRequest.Choice c) {
    if (c.price() != null) {
      return c.price();
    }
    io.agentprovision.core.catalog.Pricing p = c.pricing();
    return p == null ? null : p.minimum();
  }
}
