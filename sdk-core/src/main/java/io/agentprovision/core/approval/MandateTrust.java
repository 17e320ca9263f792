package io.agentprovision.core.approval;

import io.agentprovision.core.InvalidRequestException;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Which intent mandates a provisioner accepts: those signed with one of the trusted keys (the
 * public halves of the persons' approval UIs' keys), and what happens when a checkpoint is within
 * a mandate's scope but beyond one of its bounds.
 *
 * <pre>{@code
 * AgentProvisioner p = AgentProvisioner.builder()
 *     // ...
 *     .mandates(MandateTrust.trusting(ReceiptKey.fromPublicJwk(approvalUiPublicJwk))
 *         .onExceeded(MandateTrust.Exceeded.ASK_A_PERSON))
 *     .build();
 * }</pre>
 *
 * @param keys the keys mandates may be signed with
 * @param exceeded what a checkpoint beyond a bound gets
 */
public record MandateTrust(ReceiptKey keys, Exceeded exceeded) {
  /** What a checkpoint within a mandate's scope (its person, agent and provider) but beyond a bound gets. */
  public enum Exceeded {
    /** The person is asked, as without a mandate (the default). */
    ASK_A_PERSON,
    /** It is refused, without asking anyone: the mandate's bounds are the last word while the person is away. */
    REFUSE
  }

  /** The default: a bound exceeded goes to a person. */
  public static final Exceeded DEFAULT_EXCEEDED = Exceeded.ASK_A_PERSON;

  public MandateTrust {
    Objects.requireNonNull(keys, "keys");
    Objects.requireNonNull(exceeded, "exceeded");
  }

  /** Mandates signed with {@code keys} (public halves suffice), a bound exceeded going to a person. */
  public static MandateTrust trusting(ReceiptKey keys) {
    return new MandateTrust(keys, DEFAULT_EXCEEDED);
  }

  /** This trust with {@code what} for a checkpoint beyond a bound. */
  public MandateTrust onExceeded(Exceeded what) {
    return new MandateTrust(keys, what);
  }

  /**
   * Checks a mandate's signature, type and claims, and that it has not expired at {@code now}.
   *
   * @throws InvalidRequestException naming what is wrong (never showing the mandate)
   */
  public IntentMandate verify(@Nullable String jws, Instant now) {
    IntentMandate m;
    try {
      m = IntentMandate.read(ApprovalReceipts.checked(jws, IntentMandate.TYPE, keys), Objects.requireNonNull(jws));
    } catch (ReceiptRejectedException e) {
      throw new InvalidRequestException("mandate", "is not accepted: " + String.valueOf(e.getMessage()).replace("approval receipt",
          "mandate"), "ask the person's approval UI for a mandate signed with a trusted key");
    }
    if (!now.isBefore(m.expiresAt())) {
      throw new InvalidRequestException("mandate", "'" + m.id() + "' expired at " + m.expiresAt(),
          "ask the person for a new mandate");
    }
    return m;
  }
}
