package io.agentprovision.core.approval;

import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The result of {@link Receipts#verify()}: how many receipts were checked, how many decisions had
 * none, and every problem found, with the audit entry it is in.
 *
 * @param valid whether no receipt was refused
 * @param receipts how many receipts were checked
 * @param unsigned how many decisions carry no receipt
 * @param problems what was refused, in log order
 */
public record ReceiptVerification(boolean valid, int receipts, int unsigned, List<Problem> problems) {
  public ReceiptVerification {
    problems = List.copyOf(problems);
  }

  /**
   * One refused receipt.
   *
   * @param sequence the audit entry holding it
   * @param approvalId the approval the entry is about
   * @param reason which check refused it
   * @param detail what was wrong
   */
  public record Problem(long sequence, @Nullable String approvalId, ReceiptRejectedException.Reason reason,
      String detail) {
    public Problem {
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(detail, "detail");
    }
  }
}
