package io.agentprovision.examples;

import io.agentprovision.cloudflare.CloudflareDeployer;
import io.agentprovision.core.AgentId;
import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.AgentProvisioner;
import io.agentprovision.core.Deployment;
import io.agentprovision.core.DomainRequest;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.ProvisionPlan;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.ProvisioningListeners;
import io.agentprovision.core.RunFailedException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.TokenSpec;
import io.agentprovision.core.WorkerApp;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.ApprovalDeniedException;
import io.agentprovision.core.approval.ApprovalGates;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.audit.AuditVerification;
import io.agentprovision.core.identity.OidcIdentityProvider;
import io.agentprovision.core.policy.LimitUsage;
import io.agentprovision.core.policy.PolicyViolationException;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.core.protocol.DirectOrchestrator;
import io.agentprovision.core.protocol.ProtocolClient;
import io.agentprovision.core.spi.ApprovalGate;
import io.agentprovision.core.spi.AuditLog;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.Deployer;
import io.agentprovision.core.spi.IdentityProvider;
import io.agentprovision.core.spi.KeyProvider;
import io.agentprovision.core.spi.Orchestrator;
import io.agentprovision.core.spi.RunJournal;
import io.agentprovision.stripe.StripeApi;
import io.agentprovision.stripe.StripeAttestedIdentity;
import io.agentprovision.stripe.StripeProjects;
import io.agentprovision.stripe.StripeSharedPaymentTokens;
import io.agentprovision.testing.sandbox.LocalSandbox;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The Quickstart: an agent takes a small app from nothing to live on a registered domain, with the
 * human's money under a spend policy, every sensitive step behind a checkpoint, and every action on
 * a verified audit trail.
 *
 * <p>By default everything runs on this machine against the loopback sandbox ({@link LocalSandbox}):
 * Stripe's Provisioning API, a Cloudflare-like provider speaking the provider protocol, the
 * Cloudflare v4 API, and an OIDC issuer; the deployed Worker really runs when workerd is installed.
 * With {@code --real} the same code path talks to the real APIs, with credentials from the
 * environment.
 *
 * <pre>
 * Quickstart [--yes] [--direct] [--real] [--app DIR] [--domain QUERY | --no-domain] [--plan SERVICE]
 *            [--allow-ip CIDR]... [--ttl-days N] [--out DIR] [--email ADDRESS]
 * </pre>
 *
 * <p>Exit codes: 0 the app is live (or deployed where no local runtime could run it, which it says);
 * 1 the run failed; 2 it stopped at a human checkpoint or on the spend policy; 64 bad arguments.
 */
public final class Quickstart {
  /** Exit code when the app is live. */
  public static final int OK = 0;
  /** Exit code when the run failed. */
  public static final int FAILED = 1;
  /** Exit code when a human checkpoint or the spend policy stopped the run. */
  public static final int STOPPED = 2;
  /** Exit code for bad arguments or missing configuration. */
  public static final int USAGE = 64;

  private Quickstart() {}

  public static void main(String[] args) {
    System.exit(run(args, System.in, System.out, System.getenv(), System.console() != null));
  }

  /** What the command line asked for. */
  record Options(boolean yes, boolean direct, boolean real, Path app, @Nullable String domain, String plan,
      List<String> allowIps, int ttlDays, Path out, String email) {}

  static Options parse(String[] args) {
    boolean yes = false;
    boolean direct = false;
    boolean real = false;
    Path app = defaultApp();
    String domain = "my-app";
    String plan = "workers:paid";
    List<String> ips = new ArrayList<>();
    int ttl = 7;
    Path out = Path.of("target", "quickstart");
    String email = "ada@example.com";
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      switch (a) {
        case "--yes", "-y" -> yes = true;
        case "--direct" -> direct = true;
        case "--real" -> real = true;
        case "--no-domain" -> domain = null;
        case "--app" -> app = Path.of(value(args, ++i, a));
        case "--domain" -> domain = value(args, ++i, a);
        case "--plan" -> plan = value(args, ++i, a);
        case "--allow-ip" -> ips.add(value(args, ++i, a));
        case "--out" -> out = Path.of(value(args, ++i, a));
        case "--email" -> email = value(args, ++i, a);
        case "--ttl-days" -> {
          try {
            ttl = Integer.parseInt(value(args, ++i, a));
          } catch (NumberFormatException e) {
            throw new InvalidRequestException("--ttl-days", "is not a whole number", "pass days such as 7");
          }
        }
        case "--help", "-h" -> throw new InvalidRequestException("usage", "help requested", usage());
        default -> throw new InvalidRequestException(a, "is not an option", usage());
      }
    }
    return new Options(yes, direct, real, app, domain, plan, List.copyOf(ips), ttl, out, email);
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length) {
      throw new InvalidRequestException(option, "needs a value", usage());
    }
    return args[i];
  }

  static String usage() {
    return "Quickstart [--yes] [--direct] [--real] [--app DIR] [--domain QUERY | --no-domain] [--plan SERVICE] "
        + "[--allow-ip CIDR]... [--ttl-days N] [--out DIR] [--email ADDRESS]";
  }

  /** The sample app next to this module, whether run from the repository root or from examples/. */
  private static Path defaultApp() {
    for (Path p : List.of(Path.of("examples", "sample-app"), Path.of("sample-app"))) {
      if (Files.isDirectory(p)) {
        return p;
      }
    }
    return Path.of("examples", "sample-app");
  }

  /**
   * Runs the Quickstart and returns its exit code; every line goes to {@code out}.
   *
   * @param interactive whether a person can answer prompts on {@code in}
   */
  public static int run(String[] args, InputStream in, PrintStream out, Map<String, String> env, boolean interactive) {
    Options o;
    try {
      o = parse(args);
    } catch (InvalidRequestException e) {
      out.println(e.field().equals("usage") ? "usage: " + usage() : e.getMessage());
      return USAGE;
    }
    out.println("agentprovision Quickstart — " + (o.real() ? "REAL APIs" : "local sandbox") + ", orchestrator: "
        + (o.direct() ? "direct (the host speaks the provider protocol)" : "Stripe Projects"));
    ApprovalGate human = human(o, in, out, interactive);
    try {
      if (o.real()) {
        return real(o, env, human, out);
      }
      try (LocalSandbox sandbox = LocalSandbox.builder().start()) {
        out.println("Sandbox up: Stripe " + sandbox.stripe().baseUrl() + ", provider " + sandbox.provider().baseUrl()
            + ", Cloudflare " + sandbox.cloudflare().baseUrl() + ", workerd "
            + (sandbox.workerdAvailable() ? "available" : "not installed (the app will be deployed, not run)"));
        Orchestrator orchestrator = o.direct() ? sandbox.directOrchestrator() : sandbox.stripeProjects();
        List<String> ips = o.allowIps().isEmpty() ? List.of(sandbox.defaultAllowedIps()) : o.allowIps();
        return provision(o, orchestrator, sandbox.cloudflareDeployer(), sandbox.identityProvider(),
            sandbox.signIn(o.email(), "pwd", "otp"), sandbox.browser(human), ips, out);
      }
    } catch (InvalidRequestException e) {
      out.println("Cannot start: " + e.getMessage());
      return USAGE;
    }
  }

  /** The human at the checkpoints: the console, a blanket --yes, or nobody (which stops at the first one). */
  private static ApprovalGate human(Options o, InputStream in, PrintStream out, boolean interactive) {
    Clock clock = Clock.systemUTC();
    if (o.yes()) {
      ApprovalGate yes = ApprovalGates.approveAll("cli --yes", clock);
      // a blanket yes cannot produce a second factor; in the sandbox the browser supplies it after this yes
      return request -> request.kind() == CheckpointKind.STEP_UP
          ? ApprovalDecision.approved("cli --yes", "approved in advance for every checkpoint", clock.instant())
          : yes.decide(request);
    }
    if (interactive) {
      return ApprovalGates.console(new InputStreamReader(in, StandardCharsets.UTF_8), out, clock,
          System.getProperty("user.name", "console"));
    }
    return request -> ApprovalDecision.denied("nobody", "no one is at the console to approve '" + request.title()
        + "'; rerun with --yes to approve every checkpoint for this demo", clock.instant());
  }

  private static int real(Options o, Map<String, String> env, ApprovalGate human, PrintStream out) {
    if (o.allowIps().isEmpty()) {
      out.println("Cannot start: --allow-ip is required with --real: the deploy token is bound to the addresses you "
          + "deploy from (pass your egress IP or range, such as --allow-ip 203.0.113.7)");
      return USAGE;
    }
    Secret stripeKey = Secret.of(required(env, "STRIPE_API_KEY"));
    StripeApi api = StripeApi.builder().apiKey(stripeKey)
        .provisioningVersion(env.getOrDefault("STRIPE_PROVISIONING_VERSION", StripeApi.DEFAULT_PROVISIONING_VERSION))
        .sharedPaymentVersion(env.getOrDefault("STRIPE_SHARED_PAYMENT_VERSION", StripeApi.DEFAULT_SHARED_PAYMENT_VERSION))
        .build();
    Orchestrator orchestrator;
    IdentityProvider identity;
    Secret idToken = null;
    if (o.direct()) {
      orchestrator = DirectOrchestrator.builder()
          .provider(ProtocolClient.builder()
              .provider(env.getOrDefault("PROVIDER_NAME", "cloudflare"))
              .baseUrl(required(env, "PROVIDER_URL"))
              .sharedSecret(Secret.of(required(env, "PROVIDER_SHARED_SECRET")))
              .build())
          .paymentTokens(StripeSharedPaymentTokens.builder().api(api)
              .paymentMethod(required(env, "STRIPE_PAYMENT_METHOD")).build())
          .build();
      identity = OidcIdentityProvider.builder().issuer(required(env, "OIDC_ISSUER"))
          .audience(required(env, "OIDC_CLIENT_ID")).build();
      idToken = Secret.of(required(env, "OIDC_ID_TOKEN"));
    } else {
      orchestrator = StripeProjects.builder().api(api).build();
      identity = StripeAttestedIdentity.builder().api(api).project(projectName(o)).build();
    }
    return provision(o, orchestrator, CloudflareDeployer.create(), identity, idToken, human, o.allowIps(), out);
  }

  private static String required(Map<String, String> env, String name) {
    String v = env.get(name);
    if (v == null || v.isBlank()) {
      throw new InvalidRequestException(name, "is not set", "export " + name + " to run against the real APIs");
    }
    return v;
  }

  private static String projectName(Options o) {
    return WorkerApp.fromDirectory(o.app()).name();
  }

  private static int provision(Options o, Orchestrator orchestrator, Deployer deployer, IdentityProvider identity,
      @Nullable Secret idToken, ApprovalGate gate, List<String> allowIps, PrintStream out) {
    Path dir = o.out().toAbsolutePath();
    Path auditFile = dir.resolve("audit.jsonl");
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir, e);
    }
    SpendPolicy policy = SpendPolicy.builder()
        .limit(SpendLimit.monthly(Money.usd("100.00")).perProvider())
        .limit(SpendLimit.perTransaction(Money.usd("25.00")))
        .requireApprovalAbove(Money.usd("0.00"))
        .alertAt(50, 80, 100)
        .requireMfaFor(CheckpointKind.PAID_PLAN, CheckpointKind.DOMAIN_PURCHASE, CheckpointKind.RAISE_LIMIT)
        .build();
    WorkerApp app = WorkerApp.fromDirectory(o.app()).toBuilder().plainText("GREETING", "Hello").build();
    ProvisionRequest request = ProvisionRequest.builder()
        .agent(AgentId.of("quickstart-agent"))
        .provider("cloudflare")
        .plan(o.plan())
        .domain(o.domain() == null ? null : DomainRequest.query(o.domain()).maxPrice(Money.usd("20.00")))
        .app(app)
        .token(TokenSpec.leastPrivilege().allowIps(allowIps.toArray(String[]::new)).ttl(Duration.ofDays(o.ttlDays())))
        .identityToken(idToken)
        .build();
    try (AgentProvisioner provisioner = AgentProvisioner.builder()
        .orchestrator(orchestrator)
        .deployer(deployer)
        .identity(identity)
        .spendPolicy(policy)
        .approvals(gate)
        .audit(AuditLog.jsonl(auditFile))
        .vault(CredentialVault.encryptedFile(dir.resolve("vault.bin"), vaultKey(dir, out)))
        .journal(RunJournal.directory(dir.resolve("journal")))
        .listener(ProvisioningListeners.console(out))
        .build()) {
      ProvisionPlan plan = provisioner.plan(request);
      out.println();
      out.print(plan.summary());
      out.println();
      Deployment d = provisioner.execute(plan);
      summary(d, provisioner.audit(), auditFile, out);
      return d.verification().live() || d.verification().note() != null && d.verification().status() == 0 ? OK : FAILED;
    } catch (ApprovalDeniedException e) {
      out.println();
      out.println("Stopped at a human checkpoint: " + e.getMessage());
      out.println("Nothing more was bought. The audit log is at " + auditFile);
      return STOPPED;
    } catch (PolicyViolationException e) {
      out.println();
      out.println("Stopped by the spend policy: " + e.getMessage());
      return STOPPED;
    } catch (RunFailedException e) {
      out.println();
      out.println("The run failed: " + e.getMessage());
      return FAILED;
    } catch (AgentProvisionException e) {
      out.println();
      out.println("The run failed: " + e.getMessage());
      return FAILED;
    }
  }

  /**
   * The vault key: from {@code AGENTPROVISION_VAULT_KEY} when set; otherwise, for this demo only, a
   * key generated into the output directory (a real host keeps its key in a secret manager).
   */
  private static KeyProvider vaultKey(Path dir, PrintStream out) {
    String env = System.getenv("AGENTPROVISION_VAULT_KEY");
    if (env != null && !env.isBlank()) {
      return KeyProvider.fromBase64("env", env);
    }
    Path keyFile = dir.resolve("vault.key");
    try {
      if (!Files.exists(keyFile)) {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        Files.writeString(keyFile, Base64.getEncoder().encodeToString(key));
        out.println("(demo) generated a vault key in " + keyFile + "; set AGENTPROVISION_VAULT_KEY to use your own");
      }
      return KeyProvider.fromBase64("demo", Files.readString(keyFile).trim());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or write " + keyFile, e);
    }
  }

  static void summary(Deployment d, AuditLog audit, Path auditFile, PrintStream out) {
    out.println();
    out.println("== Deployed ==");
    out.println("URL:        " + d.url() + (d.url().equals(d.providerUrl()) ? "" : "  (also " + d.providerUrl() + ")"));
    out.println("Account:    " + d.account().accountId() + " at " + d.account().provider() + " ("
        + d.account().linkAction().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + " for "
        + d.account().email() + ")");
    for (Deployment.ResourceSummary r : d.resources()) {
      out.println("Resource:   " + r.serviceId() + " " + r.name() + " [" + r.resourceId() + "]"
          + (r.charged() != null ? " — " + r.charged() : " — free"));
    }
    out.println("Spent:      " + (d.spent().isEmpty() ? "nothing" : d.spent()));
    for (LimitUsage u : d.limits()) {
      if (u.limit().interval() == io.agentprovision.core.policy.SpendInterval.PER_TRANSACTION) {
        out.println("Limit:      no single spend above " + u.limit().amount());
      } else {
        out.println("Limit:      " + u.limit().key() + " " + u.bucket() + ": " + u.used() + " of " + u.limit().amount()
            + " used, " + u.remaining() + " left");
      }
    }
    for (Deployment.TokenSummary t : d.tokens()) {
      out.println("Token:      " + t.tokenId() + " = [redacted] (in the vault as " + t.vaultKey() + ")");
      out.println("            may: " + t.permissions() + "; from: " + (t.allowedIps().isEmpty() ? "anywhere"
          : t.allowedIps()) + "; expires " + (t.expiresAt() == null ? "never"
          : t.expiresAt().truncatedTo(java.time.temporal.ChronoUnit.SECONDS)));
    }
    if (d.verification().live()) {
      out.println("The app answered " + d.verification().status() + ": "
          + String.valueOf(d.verification().bodyExcerpt()).trim());
    } else {
      out.println("The app was deployed but not run: " + d.verification().note());
    }
    for (String w : d.warnings()) {
      out.println("Note:       " + w);
    }
    AuditVerification v = audit.verify();
    out.println("Audit:      " + v.entries() + " entries, head " + d.auditHead() + ", chain "
        + (v.valid() ? "verified" : "BROKEN " + v.problems()));
    out.println("Audit log:  " + auditFile);
  }
}
