package io.agentprovision.core.approval;

import io.agentprovision.core.Money;
import java.util.List;

/**
 * The intent mandates a provisioner holds ({@code AgentProvisioner.mandates()}): accepted after
 * their signature and expiry are checked against the provisioner's {@link MandateTrust}, used by
 * the engine at checkpoints within their bounds, counted durably in the run journal (so a total
 * holds across runs, hosts sharing the journal and restarts), and revoked at any time. Each
 * acceptance, use, refusal and revocation is an audit entry.
 *
 * <pre>{@code
 * IntentMandate m = provisioner.mandates().accept(jwsFromTheApprovalUi);
 * provisioner.mandates().used(m.id());          // USD 15.00 of USD 40.00
 * provisioner.mandates().revoke(m.id(), "Ada is back");
 * }</pre>
 *
 * <p>Accepted mandates are held in memory: a restarted host accepts them again (what they already
 * approved stays counted in the journal).
 */
public interface Mandates {
  /**
   * Checks and holds a mandate the person signed, audited as {@code mandate.accepted}.
   *
   * @throws io.agentprovision.core.InvalidRequestException when no mandates are trusted, or this one
   *     does not verify, has expired, or was revoked
   */
  IntentMandate accept(String jws);

  /** Stops using mandate {@code id} at once; audited as {@code mandate.revoked}. */
  void revoke(String id, String reason);

  /** The mandates held that apply now. */
  List<IntentMandate> active();

  /** What mandate {@code id} has approved so far, across every run (zero in its currency when nothing). */
  Money used(String id);
}
