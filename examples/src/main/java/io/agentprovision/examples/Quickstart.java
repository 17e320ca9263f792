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
import io.agentprovision.core.approval.ApprovalRequest;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.audit.AuditVerification;
import io.agentprovision.core.http.HttpStack;
import io.agentprovision.core.identity.OidcIdentityProvider;
import io.agentprovision.core.policy.LimitUsage;
import io.agentprovision.core.policy.PolicyViolationException;
import io.agentprovision.core.policy.SpendLimit;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.core.policy.VelocityLimitException;
import io.agentprovision.core.protocol.DirectOrchestrator;
import io.agentprovision.core.protocol.ProtocolClient;
import io.agentprovision.core.report.GovernanceReport;
import io.agentprovision.core.report.Inventory;
import io.agentprovision.core.report.ReportFilter;
import io.agentprovision.core.spi.ApprovalGate;
import io.agentprovision.core.spi.AuditLog;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.Deployer;
import io.agentprovision.core.spi.IdentityProvider;
import io.agentprovision.core.spi.KeyProvider;
import io.agentprovision.core.spi.Orchestrator;
import io.agentprovision.core.spi.RunJournal;
import io.agentprovision.jdbc.JdbcStoreException;
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
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
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
 * <p>{@code ./quickstart.sh --help} lists every option ({@link QuickstartCommand} reads them). Exit
 * codes: 0 the app is live (or deployed where no local runtime could run it, which it says); 1 the run
 * failed; 2 it stopped at a human checkpoint or on the spend policy; 3 it deployed everything and the
 * app did not answer; 64 bad options or missing configuration.
 */
public final class Quickstart {
  /** Exit code when the app is live. */
  public static final int OK = 0;
  /** Exit code when the run failed. */
  public static final int FAILED = 1;
  /** Exit code when a human checkpoint or the spend policy stopped the run. */
  public static final int STOPPED = 2;
  /** Exit code when everything was deployed but the app did not answer when checked. */
  public static final int UNVERIFIED = 3;
  /** Exit code for bad arguments or missing configuration (EX_USAGE of sysexits.h). */
  public static final int USAGE = 64;
  /** The most the Quickstart pays for a domain. */
  static final Money MAX_DOMAIN_PRICE = Money.usd("20.00");

  private static final Set<PosixFilePermission> OWNER_FILE = PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> OWNER_FOLDER = PosixFilePermissions.fromString("rwx------");

  private Quickstart() {}

  public static void main(String[] args) {
    System.exit(run(args, System.in, System.out, System.err, System.getenv(), System.console() != null));
  }

  /**
   * What the command line asked for, checked: paths are absolute, {@code domain} is null for
   * {@code --no-domain}, {@code allowIps} empty means the sandbox's loopback; {@code store} is
   * {@code file} or {@code postgres}, {@code jdbcUrl} the server for {@code postgres} (null: embedded).
   */
  record Options(boolean yes, boolean direct, boolean real, boolean dryRun, Path app, @Nullable String domain,
      String plan, List<String> allowIps, int ttlDays, Path out, String email, String store,
      @Nullable String jdbcUrl) {}

  /** Where default paths are taken from: the repository when quickstart.sh runs it, else the current folder. */
  private static Path home() {
    String home = System.getProperty(QuickstartCommand.HOME_PROPERTY);
    return home == null || home.isBlank() ? Path.of("").toAbsolutePath() : Path.of(home);
  }

  /** {@link #run(String[], InputStream, PrintStream, PrintStream, Map, boolean)} with errors on {@code out} too. */
  public static int run(String[] args, InputStream in, PrintStream out, Map<String, String> env, boolean interactive) {
    return run(args, in, out, out, env, interactive);
  }

  /**
   * Runs the Quickstart and returns its exit code: help, progress and the summary go to {@code out},
   * usage errors to {@code err}.
   *
   * @param env the environment the real APIs' credentials and {@code AGENTPROVISION_VAULT_KEY} are read from
   * @param interactive whether a person can answer prompts on {@code in}
   */
  public static int run(String[] args, InputStream in, PrintStream out, PrintStream err, Map<String, String> env,
      boolean interactive) {
    Options o;
    try {
      QuickstartCommand.Parsed parsed = QuickstartCommand.parse(args, home());
      if (parsed instanceof QuickstartCommand.Help h) {
        out.print(h.text());
        return OK;
      }
      if (parsed instanceof QuickstartCommand.Version v) {
        out.print(v.text());
        return OK;
      }
      o = ((QuickstartCommand.Run) parsed).options();
    } catch (QuickstartCommand.UsageException e) {
      err.println("quickstart.sh: " + e.getMessage());
      err.println("Run ./quickstart.sh --help to see every option.");
      return USAGE;
    }
    if (o.dryRun()) {
      dryRun(o, out);
      return OK;
    }
    out.println("agentprovision Quickstart — " + (o.real() ? "REAL APIs" : "local sandbox") + ", orchestrator: "
        + (o.direct() ? "direct (the host speaks the provider protocol)" : "Stripe Projects"));
    ApprovalGate human = human(o, in, out, interactive);
    outputFolder(o.out());
    // the spend state first: a database that cannot be reached stops the Quickstart before anything starts
    try (QuickstartStores state = QuickstartStores.open(o, o.out(), env, out)) {
      out.println("Spend state: " + state.description);
      if (o.real()) {
        return real(o, env, human, out, state);
      }
      try (LocalSandbox sandbox = LocalSandbox.builder().start()) {
        out.println("Sandbox up: Stripe " + sandbox.stripe().baseUrl() + ", provider " + sandbox.provider().baseUrl()
            + ", Cloudflare " + sandbox.cloudflare().baseUrl() + ", workerd "
            + (sandbox.workerdAvailable() ? "available" : "not installed (the app will be deployed, not run)"));
        Orchestrator orchestrator = o.direct() ? sandbox.directOrchestrator() : sandbox.stripeProjects();
        List<String> ips = o.allowIps().isEmpty() ? List.of(sandbox.defaultAllowedIps()) : o.allowIps();
        return provision(o, orchestrator, sandbox.cloudflareDeployer(), sandbox.identityProvider(),
            sandbox.signIn(o.email(), "pwd", "otp"), sandbox.browser(sandboxStepUp(human)), ips, env, out,
            HttpStack.shared(), state);
      }
    } catch (InvalidRequestException | JdbcStoreException e) {
      err.println("Cannot start: " + e.getMessage());
      return USAGE;
    }
  }

  /** What a run with these options would use; nothing is started, created or bought. */
  private static void dryRun(Options o, PrintStream out) {
    out.println("agentprovision Quickstart, dry run: nothing is started, created or bought");
    out.println("APIs:         " + (o.real() ? "REAL (credentials from the environment)" : "local sandbox"));
    out.println("orchestrator: " + (o.direct() ? "direct (the host speaks the provider protocol)" : "Stripe Projects"));
    out.println("app:          " + o.app());
    out.println("plan:         " + o.plan());
    out.println("domain:       " + (o.domain() == null ? "none (workers.dev only)"
        : "a name like '" + o.domain() + "', at most " + MAX_DOMAIN_PRICE));
    out.println("deploy token: from " + (o.allowIps().isEmpty() ? "the sandbox's loopback" : o.allowIps())
        + ", lives " + o.ttlDays() + (o.ttlDays() == 1 ? " day" : " days"));
    out.println("checkpoints:  " + (o.yes() ? "approved in advance (--yes)" : "asked at the console"));
    out.println("output:       " + o.out());
    out.println("spend state:  " + (o.store().equals("file") ? "files in the output folder"
        : o.jdbcUrl() != null ? "PostgreSQL at " + o.jdbcUrl() : "an embedded PostgreSQL, data in the output folder"));
    if (!o.real()) {
      out.println("e-mail:       " + o.email());
    }
  }

  /**
   * In the sandbox the step-up's sign-in is done by the sandbox's browser (a fresh sign-in with a
   * one-time code, answering the checkpoint's nonce): the person only says whether to go ahead, so
   * the console asks yes or no instead of for a pasted ID token.
   */
  private static ApprovalGate sandboxStepUp(ApprovalGate human) {
    return new ApprovalGate() {
      @Override
      public ApprovalDecision decide(ApprovalRequest request) throws InterruptedException {
        return human.decide(asked(request));
      }

      @Override
      public boolean answersAtOnce(ApprovalRequest request) {
        return human.answersAtOnce(asked(request));
      }

      /** What the human is asked: a step-up as an action to confirm (the sandbox's browser signs in). */
      private ApprovalRequest asked(ApprovalRequest request) {
        if (request.kind() != CheckpointKind.STEP_UP) {
          return request;
        }
        return new ApprovalRequest(request.id(), CheckpointKind.ACTION_REQUIRED,
            request.title() + " (the sandbox signs you in again with a one-time code)", request.reason(),
            request.cost(), request.agent(), request.principal(), request.run(), request.step(), request.requestedAt(),
            request.deadline(), request.url(), request.details(), request.policy());
      }
    };
  }

  /** The human at the checkpoints: the console, a blanket --yes, or nobody (which stops at the first one). */
  private static ApprovalGate human(Options o, InputStream in, PrintStream out, boolean interactive) {
    Clock clock = Clock.systemUTC();
    if (o.yes()) {
      ApprovalGate yes = ApprovalGates.approveAll("cli --yes", clock);
      // a blanket yes cannot produce a second factor; in the sandbox the browser supplies it after this yes
      return new ApprovalGate() {
        @Override
        public ApprovalDecision decide(ApprovalRequest request) throws InterruptedException {
          return request.kind() == CheckpointKind.STEP_UP
              ? ApprovalDecision.approved("cli --yes", "approved in advance for every checkpoint", clock.instant())
              : yes.decide(request);
        }

        @Override
        public boolean answersAtOnce(ApprovalRequest request) {
          return true; // approved in advance: no one is asked
        }
      };
    }
    if (interactive) {
      return ApprovalGates.console(new InputStreamReader(in, StandardCharsets.UTF_8), out, clock,
          System.getProperty("user.name", "console"));
    }
    return request -> ApprovalDecision.denied("nobody", "no one is at the console to approve '" + request.title()
        + "'; rerun with --yes to approve every checkpoint for this demo", clock.instant());
  }

  private static int real(Options o, Map<String, String> env, ApprovalGate human, PrintStream out,
      QuickstartStores state) {
    Secret stripeKey = Secret.of(required(env, "STRIPE_API_KEY"));
    // one HTTP stack for every adapter: one connection pool, and each provider's rate limit, breaker and retries
    HttpStack http = HttpStack.create();
    StripeApi api = StripeApi.builder().apiKey(stripeKey).http(http)
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
              .http(http)
              .build())
          .paymentTokens(StripeSharedPaymentTokens.builder().api(api)
              .paymentMethod(required(env, "STRIPE_PAYMENT_METHOD")).build())
          .build();
      identity = OidcIdentityProvider.builder().issuer(required(env, "OIDC_ISSUER"))
          .audience(required(env, "OIDC_CLIENT_ID")).http(http).build();
      idToken = Secret.of(required(env, "OIDC_ID_TOKEN"));
    } else {
      orchestrator = StripeProjects.builder().api(api).build();
      identity = StripeAttestedIdentity.builder().api(api).project(projectName(o)).build();
    }
    return provision(o, orchestrator, CloudflareDeployer.builder().http(http).build(), identity, idToken, human,
        o.allowIps(), env, out, http, state);
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
      @Nullable Secret idToken, ApprovalGate gate, List<String> allowIps, Map<String, String> env, PrintStream out,
      HttpStack http, QuickstartStores state) {
    Path dir = o.out();
    Path auditFile = dir.resolve("audit.jsonl");
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
        .domain(o.domain() == null ? null : DomainRequest.query(o.domain()).maxPrice(MAX_DOMAIN_PRICE))
        .app(app)
        .token(TokenSpec.leastPrivilege().allowIps(allowIps.toArray(String[]::new)).ttl(Duration.ofDays(o.ttlDays())))
        .identityToken(idToken)
        .build();
    AuditLog audit = AuditLog.jsonl(auditFile);
    RunJournal journal = state.journal;
    try (AgentProvisioner provisioner = AgentProvisioner.builder()
        .http(http)
        .orchestrator(orchestrator)
        .deployer(deployer)
        .identity(identity)
        .spendPolicy(policy)
        .policyStore(state.policies)
        .ledger(state.ledger)
        .velocityStore(state.velocity)
        .approvals(gate)
        .audit(audit)
        .vault(CredentialVault.encryptedFile(dir.resolve("vault.bin"), vaultKey(dir, env.get("AGENTPROVISION_VAULT_KEY"), out)))
        .journal(journal)
        .listener(ProvisioningListeners.console(out))
        .build()) {
      ProvisionPlan plan = provisioner.plan(request);
      out.println();
      out.print(plan.summary());
      out.println();
      Deployment d = provisioner.execute(plan);
      summary(d, provisioner.audit(), auditFile, out);
      return exitCode(d);
    } catch (ApprovalDeniedException e) {
      out.println();
      out.println("Stopped at a human checkpoint: " + e.getMessage());
      out.println("Nothing more was bought. The audit log is at " + auditFile);
      return STOPPED;
    } catch (PolicyViolationException | VelocityLimitException e) {
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
    } finally {
      // however the run ended, the report says what exists now, for whom, and who approved it
      writeReport(audit, journal, policy, dir, out);
    }
  }

  /**
   * Writes the inventory and governance report next to the audit log: {@code report.html} for a
   * person, {@code report.json} and {@code report.csv} for tools; prints where. The money is summed
   * from the audit log, which spans every run kept in the folder. A report that cannot be written is said so, and does not change the exit code.
   */
  static @Nullable Path writeReport(AuditLog audit, RunJournal journal, SpendPolicy policy, Path dir, PrintStream out) {
    try {
      Inventory inv = GovernanceReport.builder().audit(audit).journal(journal).zone(policy.zone()).build()
          .generate(ReportFilter.all());
      Path html = dir.resolve("report.html");
      Files.writeString(html, inv.toHtml(), StandardCharsets.UTF_8);
      Files.writeString(dir.resolve("report.json"), inv.toJson(), StandardCharsets.UTF_8);
      Files.writeString(dir.resolve("report.csv"), inv.toCsv(), StandardCharsets.UTF_8);
      out.println("Report:     " + html + "  (also report.json, report.csv)");
      return html;
    } catch (IOException | RuntimeException e) {
      out.println("Report:     not written: " + e.getMessage());
      return null;
    }
  }

  /**
   * Creates the output folder, readable by its owner only, unless it exists (then it is the user's
   * and left as it is): it holds the vault, its demo key and the audit log.
   */
  static void outputFolder(Path dir) {
    if (Files.isDirectory(dir)) {
      return;
    }
    try {
      Path parent = dir.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Files.createDirectory(dir, ownerOnly(dir, OWNER_FOLDER));
    } catch (FileAlreadyExistsException e) {
      if (!Files.isDirectory(dir)) {
        throw new UncheckedIOException("cannot create the folder " + dir + ": a file of that name is in the way", e);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir, e);
    }
  }

  /**
   * The vault key: {@code fromEnv} ({@code AGENTPROVISION_VAULT_KEY}) when set; otherwise, for this
   * demo only, a key generated into {@code vault.key} in the output folder and reused by later runs
   * (a real host keeps its key in a secret manager). The file is created readable by its owner only,
   * never opened to others first and narrowed after, since the key opens every credential in the vault.
   */
  static KeyProvider vaultKey(Path dir, @Nullable String fromEnv, PrintStream out) {
    if (fromEnv != null && !fromEnv.isBlank()) {
      return KeyProvider.fromBase64("env", fromEnv);
    }
    Path keyFile = dir.resolve("vault.key");
    try {
      byte[] key = new byte[32];
      new SecureRandom().nextBytes(key);
      try (SeekableByteChannel ch = Files.newByteChannel(keyFile,
          EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), ownerOnly(keyFile, OWNER_FILE))) {
        ByteBuffer text = ByteBuffer.wrap(Base64.getEncoder().encode(key));
        while (text.hasRemaining()) {
          ch.write(text);
        }
      }
      out.println("(demo) generated a vault key in " + keyFile + "; set AGENTPROVISION_VAULT_KEY to use your own");
    } catch (FileAlreadyExistsException e) {
      // an earlier run's key: keep it, or the vault it sealed would no longer open
      warnIfOthersCanRead(keyFile, out);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + keyFile, e);
    }
    try {
      return KeyProvider.fromBase64("demo", Files.readString(keyFile, StandardCharsets.US_ASCII).trim());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + keyFile, e);
    }
  }

  private static void warnIfOthersCanRead(Path keyFile, PrintStream out) {
    try {
      PosixFileAttributeView view = Files.getFileAttributeView(keyFile, PosixFileAttributeView.class);
      if (view != null && !OWNER_FILE.containsAll(view.readAttributes().permissions())) {
        out.println("(demo) warning: " + keyFile + " can be read by others than you; chmod 600 it");
      }
    } catch (IOException e) {
      // only a warning: the run goes on either way
    }
  }

  /** Owner-only permissions to create a file or folder with, where the file system has POSIX permissions. */
  private static FileAttribute<?>[] ownerOnly(Path path, Set<PosixFilePermission> permissions) {
    return path.getFileSystem().supportedFileAttributeViews().contains("posix")
        ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(permissions)}
        : new FileAttribute<?>[0];
  }

  /**
   * The exit code for a run that deployed everything: {@link #OK} when the app answered, or when no
   * local runtime could run it (the sandbox without workerd, which the output says);
   * {@link #UNVERIFIED} when it did not answer.
   */
  static int exitCode(Deployment d) {
    return switch (d.outcome()) {
      case LIVE, DEPLOYED_NOT_RUN, PROVISIONED -> OK; // the Quickstart always deploys an app: PROVISIONED does not occur
      case DEPLOYED_UNVERIFIED -> UNVERIFIED;
    };
  }

  static void summary(Deployment d, AuditLog audit, Path auditFile, PrintStream out) {
    out.println();
    out.println("== Deployed ==");
    // the Quickstart always deploys an app, and a deployed app has its URL and its check
    var url = Objects.requireNonNull(d.url(), "the deployed app's URL");
    var check = Objects.requireNonNull(d.verification(), "the deployed app's check");
    out.println("URL:        " + url + (url.equals(d.providerUrl()) ? "" : "  (also " + d.providerUrl() + ")"));
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
    switch (d.outcome()) {
      case LIVE -> out.println("The app answered " + check.status() + ": "
          + String.valueOf(check.bodyExcerpt()).trim());
      case DEPLOYED_NOT_RUN -> out.println("The app was deployed but not run: " + check.note());
      case DEPLOYED_UNVERIFIED -> out.println("The app was deployed but DID NOT ANSWER at " + check.url()
          + (check.note() != null ? " (" + check.note() + ")" : "")
          + "; resume run " + d.runId() + " to check again");
      case PROVISIONED -> out.println("No app: the services are provisioned");
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
