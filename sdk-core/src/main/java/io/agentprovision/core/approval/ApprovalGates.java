package io.agentprovision.core.approval;

import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Secret;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.core.spi.ApprovalGate;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Ready-made {@link ApprovalGate}s. Every one fails closed.
 *
 * <pre>{@code
 * // Approve what policy allows without a human; ask the console for the rest.
 * ApprovalGate gate = ApprovalGates.policyDriven(
 *     EnumSet.of(CheckpointKind.PLAN_APPROVAL, CheckpointKind.PAID_PLAN),
 *     ApprovalGates.console(System.in, System.out, clock));
 * }</pre>
 */
public final class ApprovalGates {
  /** The approver recorded when the policy approved without a human. */
  public static final String POLICY_APPROVER = "policy";

  private ApprovalGates() {}

  /** Denies everything: the default when a host configures no gate. */
  public static ApprovalGate denyAll(Clock clock) {
    Objects.requireNonNull(clock, "clock");
    return new ApprovalGate() {
      @Override
      public ApprovalDecision decide(ApprovalRequest request) {
        return ApprovalDecision.denied("none", "no approval gate is configured; configure "
            + "AgentProvisioner.builder().approvals(...)", clock.instant());
      }

      @Override
      public boolean answersAtOnce(ApprovalRequest request) {
        return true;
      }
    };
  }

  /**
   * Approves everything, recording {@code approver} as the decider: for demos run with an explicit
   * flag such as {@code --yes}, so that the audit log shows the approval was blanket.
   */
  public static ApprovalGate approveAll(String approver, Clock clock) {
    Objects.requireNonNull(approver, "approver");
    Objects.requireNonNull(clock, "clock");
    return new ApprovalGate() {
      @Override
      public ApprovalDecision decide(ApprovalRequest request) {
        if (request.kind() == CheckpointKind.STEP_UP) {
          return ApprovalDecision.denied(approver, "a blanket approval cannot supply a second factor", clock.instant());
        }
        return ApprovalDecision.approved(approver, "approved in advance for every checkpoint", clock.instant());
      }

      @Override
      public boolean answersAtOnce(ApprovalRequest request) {
        return true;
      }
    };
  }

  /**
   * Approves, without asking anyone, checkpoints of the {@code autoKinds} whose cost the spend policy
   * in force does not require a human for; every other checkpoint goes to {@code delegate}. The
   * policy is the one the engine hands with each request ({@link ApprovalRequest#policy()}), read
   * when it asks: a threshold the host tightened a moment ago applies at once. A request without a
   * policy (not made by the engine) goes to the delegate. Checkpoints that hand data back (consent,
   * step-up), send a human somewhere (a payment's 3-D Secure,
   * {@link CheckpointKind#PAYMENT_AUTHENTICATION}), raise a limit or confirm a look-alike domain
   * ({@link CheckpointKind#LOOKALIKE_DOMAIN}) always go to the delegate, and so does a checkpoint that
   * spends money or approves a plan's prices but carries no single price (such as a plan priced in
   * two currencies): the threshold cannot judge it. A checkpoint that spends nothing, such as
   * accepting terms shown in-line, needs no price.
   */
  public static ApprovalGate policyDriven(Set<CheckpointKind> autoKinds, ApprovalGate delegate) {
    Objects.requireNonNull(autoKinds, "autoKinds");
    Objects.requireNonNull(delegate, "delegate");
    Set<CheckpointKind> kinds = autoKinds.isEmpty() ? EnumSet.noneOf(CheckpointKind.class) : EnumSet.copyOf(autoKinds);
    kinds.removeAll(EnumSet.of(CheckpointKind.ACCOUNT_CONSENT, CheckpointKind.STEP_UP, CheckpointKind.PAYMENT_METHOD,
        CheckpointKind.ACTION_REQUIRED, CheckpointKind.RAISE_LIMIT, CheckpointKind.LOOKALIKE_DOMAIN,
        CheckpointKind.CHANGE_APPROVAL, CheckpointKind.PAYMENT_AUTHENTICATION));
    return new ApprovalGate() {
      @Override
      public ApprovalDecision decide(ApprovalRequest request) throws InterruptedException {
        SpendPolicy policy = request.policy();
        if (policy != null && approves(request, policy)) {
          return ApprovalDecision.approved(POLICY_APPROVER, "within policy: " + (request.cost() == null ? "no cost"
              : request.cost() + " is not above " + policy.approvalThreshold()), request.requestedAt());
        }
        return delegate.decide(request);
      }

      /** Whether the policy approves {@code request} itself, without the delegate. */
      private boolean approves(ApprovalRequest request, SpendPolicy policy) {
        boolean withinPolicy = request.cost() != null
            ? !policy.requiresApproval(request.cost())
            : !approvesSpend(request.kind());
        return kinds.contains(request.kind()) && withinPolicy && request.url() == null;
      }

      @Override
      public boolean answersAtOnce(ApprovalRequest request) {
        SpendPolicy policy = request.policy();
        return (policy != null && approves(request, policy)) || delegate.answersAtOnce(request);
      }

      @Override
      public void connect(ApprovalInbox inbox) {
        delegate.connect(inbox); // a deferring delegate needs to know where later answers go
      }
    };
  }

  /**
   * Asks later: every checkpoint of a run is answered {@link ApprovalDecision#pending} at once, so the
   * run parks without holding a thread until a person decides through
   * {@code AgentProvisioner.decide(approvalId, decision)} on any host sharing the journal (or the
   * deadline passes: a denial). The host finds what waits with {@code pendingApprovals(agent)}. A
   * checkpoint outside a run (raising a limit) cannot wait, and is denied saying so.
   */
  public static ApprovalGate deferred() {
    // it only records that the request waits (the person answers through decide(...)): at once
    return deferring(request -> {}, true);
  }

  /**
   * {@link #deferred()}, telling {@code onRequest} of each request as it parks (on the run's thread;
   * keep it quick: post to a queue, a chat, a dashboard).
   *
   * <pre>{@code
   * ApprovalGate gate = ApprovalGates.deferred(r -> slack.post(r.title() + ": /approvals/" + r.id()));
   * }</pre>
   */
  public static ApprovalGate deferred(java.util.function.Consumer<ApprovalRequest> onRequest) {
    Objects.requireNonNull(onRequest, "onRequest");
    return deferring(onRequest, false); // telling someone may take time
  }

  /** {@link #deferred(java.util.function.Consumer)}, saying whether it answers at once. */
  private static ApprovalGate deferring(java.util.function.Consumer<ApprovalRequest> onRequest, boolean atOnce) {
    return new ApprovalGate() {
      @Override
      public ApprovalDecision decide(ApprovalRequest request) {
        if (request.run() == null || request.step() == null) {
          return ApprovalDecision.denied("deferred", "this checkpoint is not part of a run, so it cannot wait for a "
              + "later answer; use a gate that answers at once for it", request.requestedAt());
        }
        onRequest.accept(request);
        return ApprovalDecision.pending("asked; the answer comes through AgentProvisioner.decide(\"" + request.id()
            + "\", decision)", request.requestedAt());
      }

      @Override
      public boolean answersAtOnce(ApprovalRequest request) {
        return atOnce;
      }
    };
  }

  /** Whether approving this kind lets money move: a paid kind, or the plan whose quotes it approves. */
  private static boolean approvesSpend(CheckpointKind kind) {
    return kind.spendsMoney() || kind == CheckpointKind.PLAN_APPROVAL;
  }

  /**
   * Asks on a console: prints the checkpoint and reads {@code y}/{@code n}. For a checkpoint that
   * sends the human to a URL and hands data back (account consent), it asks for the callback URL
   * the browser ended on and returns its query parameters. End of input denies.
   */
  public static ApprovalGate console(java.io.InputStream in, PrintStream out, Clock clock) {
    return console(new InputStreamReader(in, StandardCharsets.UTF_8), out, clock, System.getProperty("user.name", "console"));
  }

  /** {@link #console(java.io.InputStream, PrintStream, Clock)} with an explicit reader and approver name. */
  public static ApprovalGate console(Reader in, PrintStream out, Clock clock, String approver) {
    BufferedReader reader = in instanceof BufferedReader b ? b : new BufferedReader(in);
    return new ApprovalGate() {
      @Override
      public synchronized ApprovalDecision decide(ApprovalRequest request) {
        out.println();
        out.println("== Approval needed: " + request.kind().name().toLowerCase(Locale.ROOT).replace('_', ' ') + " ==");
        out.println("  " + request.title());
        out.println("  why:   " + request.reason());
        if (request.cost() != null) {
          out.println("  cost:  " + request.cost());
        }
        out.println("  agent: " + request.agent() + (request.principal() != null ? " for " + request.principal().display() : ""));
        if (request.url() != null) {
          out.println("  open:  " + request.url());
        }
        request.details().forEach((k, v) -> out.println("  " + k + ": " + v));
        try {
          if (request.kind() == CheckpointKind.ACCOUNT_CONSENT) {
            out.print("Paste the URL your browser was sent back to (empty to refuse): ");
            out.flush();
            String line = reader.readLine();
            if (line == null || line.isBlank()) {
              return ApprovalDecision.denied(approver, "no callback URL given", clock.instant());
            }
            return ApprovalDecision.approved(approver, "consent given in the browser", clock.instant())
                .withResponse(queryParameters(line.trim()));
          }
          if (request.kind() == CheckpointKind.STEP_UP) {
            out.print("Paste a fresh ID token from a sign-in with a second factor (empty to refuse): ");
            out.flush();
            String line = reader.readLine();
            if (line == null || line.isBlank()) {
              return ApprovalDecision.denied(approver, "no second factor given", clock.instant());
            }
            return ApprovalDecision.approved(approver, "stepped up", clock.instant()).withCredential(Secret.of(line.trim()));
          }
          out.print("Approve? [y/N] ");
          out.flush();
          String line = reader.readLine();
          if (line != null && (line.trim().equalsIgnoreCase("y") || line.trim().equalsIgnoreCase("yes"))) {
            return ApprovalDecision.approved(approver, "approved at the console", clock.instant());
          }
          return ApprovalDecision.denied(approver, line == null ? "no console input" : "declined at the console",
              clock.instant());
        } catch (IOException e) {
          return ApprovalDecision.error("console unreadable: " + e.getMessage(), clock.instant());
        }
      }
    };
  }

  /** The query parameters of a URL, decoded; empty when it has none. */
  static Map<String, String> queryParameters(String url) {
    Map<String, String> out = new LinkedHashMap<>();
    int q = url.indexOf('?');
    if (q < 0) {
      return out;
    }
    String query = url.substring(q + 1);
    int hash = query.indexOf('#');
    if (hash >= 0) {
      query = query.substring(0, hash);
    }
    for (String pair : query.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String k = eq < 0 ? pair : pair.substring(0, eq);
      String v = eq < 0 ? "" : pair.substring(eq + 1);
      out.put(java.net.URLDecoder.decode(k, StandardCharsets.UTF_8), java.net.URLDecoder.decode(v, StandardCharsets.UTF_8));
    }
    return out;
  }
}
