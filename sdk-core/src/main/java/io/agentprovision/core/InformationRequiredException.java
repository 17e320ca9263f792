package io.agentprovision.core;

import java.util.List;
import java.util.Objects;

/**
 * A provider asked a question ({@code needs_information}) that the engine could not answer from the
 * request, and no person answered it at the {@link io.agentprovision.core.approval.CheckpointKind#ACTION_REQUIRED}
 * checkpoint (the gate approved without an answer for {@link #field()}, or the provider kept asking
 * beyond the engine's bound of rounds). Nothing was bought for the step after the question.
 *
 * <pre>{@code
 * catch (InformationRequiredException e) {
 *   ask(e.question() + " " + e.choices());          // then run again with the answer in the request
 * }
 * }</pre>
 */
public class InformationRequiredException extends AgentProvisionException {
  private static final long serialVersionUID = 1L;

  private final String provider;
  private final String serviceId;
  private final String field;
  private final String question;
  private final List<String> choices;

  /**
   * @param provider the provider that asked
   * @param serviceId the service being provisioned
   * @param field the schema property asked for, such as {@code "region"}
   * @param question the question as the provider put it (its title), or the field when it gave none
   * @param choices the values it offered, empty when it offered none
   * @param why what happened, appended to the message
   */
  public InformationRequiredException(String provider, String serviceId, String field, String question,
      List<String> choices, String why) {
    super(provider + " asks '" + Objects.requireNonNull(field, "field") + "' (" + question + ") to provision "
        + serviceId + (choices.isEmpty() ? "" : ", one of " + choices) + ": " + why
        + "; answer it at the ACTION_REQUIRED checkpoint (approve with the response {\"" + field
        + "\": <value>}) or give it in the request", null, false);
    this.provider = Objects.requireNonNull(provider, "provider");
    this.serviceId = Objects.requireNonNull(serviceId, "serviceId");
    this.field = field;
    this.question = Objects.requireNonNull(question, "question");
    this.choices = List.copyOf(choices);
  }

  /** The provider that asked. */
  public String provider() {
    return provider;
  }

  /** The service being provisioned. */
  public String serviceId() {
    return serviceId;
  }

  /** The schema property asked for. */
  public String field() {
    return field;
  }

  /** The question as the provider put it. */
  public String question() {
    return question;
  }

  /** The values offered, empty when none were. */
  public List<String> choices() {
    return choices;
  }
}
