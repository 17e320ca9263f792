package io.agentprovision.examples;

import io.agentprovision.core.DomainRequest;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.ProvisionRequest;
import io.agentprovision.core.TokenSpec;
import io.agentprovision.core.WorkerApp;
import io.agentprovision.core.protocol.ProtocolClient;
import io.agentprovision.jdbc.JdbcStores;
import io.agentprovision.stripe.StripeApi;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The Quickstart's command line. picocli reads the grammar (an option missing its value, a value
 * that is itself an option, an unknown or repeated option, {@code --help}, {@code --version}); then
 * {@link #options} checks every value with the SDK's own rules and rewords each refusal as the
 * option the user typed and how to fix it, before anything starts.
 *
 * <p>Values are kept as text until checked: picocli would turn {@code --out ''} into the current
 * folder and {@code --ttl-days x} into "not an int", neither of which tells a user what to type.
 */
@Command(name = "quickstart.sh",
    versionProvider = QuickstartCommand.VersionLines.class,
    sortOptions = false,
    usageHelpWidth = 100,
    synopsisHeading = "Usage: ",
    customSynopsis = "quickstart.sh [OPTIONS]",
    descriptionHeading = "%n",
    description = {
        "An agent takes a small Worker app from nothing to live on a registered domain: account, paid plan, "
            + "domain, least-privilege deploy token, deployment. The human's money stays under a spend policy "
            + "(USD 100.00 a month per provider, USD 25.00 per transaction), every checkpoint asks first, and "
            + "every action lands on a verified audit trail.",
        "",
        "By default everything runs on this machine against the loopback sandbox (Stripe's Provisioning API, "
            + "a provider speaking the provider protocol, the Cloudflare v4 API, an OIDC issuer); the app really "
            + "runs when workerd is installed."},
    optionListHeading = "%nOptions:%n",
    footerHeading = "%n",
    footer = {
        "Relative paths are read from the folder you run the command in.",
        "",
        "Environment, with --real: STRIPE_API_KEY (and optionally STRIPE_PROVISIONING_VERSION, "
            + "STRIPE_SHARED_PAYMENT_VERSION); with --real --direct also PROVIDER_URL, PROVIDER_SHARED_SECRET, "
            + "PROVIDER_NAME, STRIPE_PAYMENT_METHOD, OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_ID_TOKEN. "
            + "With --jdbc-url: AGENTPROVISION_JDBC_USER, AGENTPROVISION_JDBC_PASSWORD. "
            + "AGENTPROVISION_VAULT_KEY (32 random bytes in base64) replaces the demo vault key. "
            + "See docs/quickstart.md.",
        "",
        "Exit codes:",
        "  0   the app is live (or deployed where no local runtime could run it, which the output says)",
        "  1   the run failed",
        "  2   a human checkpoint or the spend policy stopped the run; nothing more was bought",
        "  3   everything was deployed but the app did not answer when checked (resume the run to check again)",
        "  64  bad options or missing configuration (EX_USAGE); nothing was started"})
final class QuickstartCommand {
  /** The domain search when none is given. */
  static final String DEFAULT_DOMAIN = "my-app";
  /** The plan when none is given. */
  static final String DEFAULT_PLAN = "workers:paid";
  /** The deploy token's lifetime when none is given. */
  static final int DEFAULT_TTL_DAYS = 7;
  /** The human's address in the sandbox when none is given. */
  static final String DEFAULT_EMAIL = "ada@example.com";
  /** Where the spend state is kept when neither --store nor --jdbc-url is given. */
  static final String DEFAULT_STORE = "file";
  /** The --store kinds. */
  static final List<String> STORES = List.of("file", "postgres");
  /** The system property quickstart.sh sets to the repository, where the default app and output are. */
  static final String HOME_PROPERTY = "agentprovision.quickstart.home";

  @Option(names = {"-y", "--yes"}, order = 1,
      description = "Approve every human checkpoint for this demo; the audit log records the approver as "
          + "'cli --yes'. Without it the Quickstart asks at the console, or stops at the first checkpoint when "
          + "no one is there.")
  boolean yes;

  @Option(names = "--direct", order = 2,
      description = "The host acts as orchestrator (DirectOrchestrator): it speaks the provider protocol itself "
          + "and pays with Shared Payment Tokens. Default: Stripe Projects orchestrates.")
  boolean direct;

  @Option(names = "--real", order = 3,
      description = "Use the real Stripe and Cloudflare APIs, with credentials from the environment (below); "
          + "needs --allow-ip. Real runs spend real money.")
  boolean real;

  @Option(names = "--app", paramLabel = "DIR", order = 4,
      description = "The folder of the Worker app to deploy (its index.js). Default: examples/sample-app.")
  @Nullable String app;

  @Option(names = "--plan", paramLabel = "SERVICE", order = 5,
      description = "The catalog plan to buy. Default: " + DEFAULT_PLAN + ".")
  @Nullable String plan;

  @Option(names = "--domain", paramLabel = "QUERY", order = 6,
      description = "Search for a domain like QUERY and register the name chosen, at most USD 20.00. "
          + "Default: " + DEFAULT_DOMAIN + ".")
  @Nullable String domain;

  @Option(names = "--no-domain", order = 7,
      description = "Register no domain: the app answers on its workers.dev address only.")
  boolean noDomain;

  @Option(names = "--allow-ip", paramLabel = "CIDR", order = 8,
      description = "An address or range the deploy token may be used from; repeat for more. Required with "
          + "--real. Default: the sandbox's loopback, 127.0.0.1/32.")
  List<String> allowIps = new ArrayList<>();

  @Option(names = "--ttl-days", paramLabel = "N", order = 9,
      description = "The deploy token's lifetime in days, 1..90. Default: " + DEFAULT_TTL_DAYS + ".")
  @Nullable String ttlDays;

  @Option(names = "--out", paramLabel = "DIR", order = 10,
      description = "Where the audit log, the encrypted vault, its demo key, the run journal and the governance "
          + "report (report.html, .json, .csv) go; a folder it creates is readable by you only. "
          + "Default: target/quickstart.")
  @Nullable String out;

  @Option(names = "--email", paramLabel = "ADDRESS", order = 11,
      description = "The human's e-mail address in the sandbox. Default: " + DEFAULT_EMAIL + ".")
  @Nullable String email;

  @Option(names = "--store", paramLabel = "KIND", order = 12,
      description = "Where the spend ledger, the spend policy and the run journal are kept: 'file' (files in the "
          + "--out folder) or 'postgres' (a PostgreSQL the Quickstart runs itself, its data in the --out folder; "
          + "nothing to install). Either way a second run finds the month's spend and the cap of the first. "
          + "Default: " + DEFAULT_STORE + ", or postgres with --jdbc-url.")
  @Nullable String store;

  @Option(names = "--jdbc-url", paramLabel = "URL", order = 13,
      description = "Keep them on an existing PostgreSQL instead, such as "
          + "jdbc:postgresql://localhost:5432/agentprovision (the schema is migrated on start); the user and "
          + "password come from AGENTPROVISION_JDBC_USER and AGENTPROVISION_JDBC_PASSWORD.")
  @Nullable String jdbcUrl;

  @Option(names = "--dry-run", order = 14,
      description = "Check the options, print what a run would use, and exit without starting anything.")
  boolean dryRun;

  @Option(names = {"-h", "--help"}, usageHelp = true, order = 15, description = "Print this help and exit.")
  boolean help;

  @Option(names = {"-V", "--version"}, versionHelp = true, order = 16,
      description = "Print the version and the wire versions it speaks, and exit.")
  boolean version;

  private QuickstartCommand() {}

  /** What a command line asks for: help, the version, or a run with checked options. */
  sealed interface Parsed {}

  /** {@code --help}: print {@code text} and exit 0. */
  record Help(String text) implements Parsed {}

  /** {@code --version}: print {@code text} and exit 0. */
  record Version(String text) implements Parsed {}

  /** A run with these options. */
  record Run(Quickstart.Options options) implements Parsed {}

  /** A command line that cannot run; the message names the option and says how to fix it. */
  static final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }

  /** The picocli command line, set up so every argument is taken exactly as typed. */
  static CommandLine commandLine() {
    CommandLine cmd = new CommandLine(new QuickstartCommand());
    // '@file' arguments would be replaced by a file's content: a value must arrive as typed
    cmd.setExpandAtFiles(false);
    // "--domain -x" is a forgotten value far more often than a search for "-x"
    cmd.setUnmatchedOptionsAllowedAsOptionParameters(false);
    return cmd;
  }

  /** The help text {@code --help} prints. */
  static String usage() {
    return commandLine().getUsageMessage(CommandLine.Help.Ansi.OFF);
  }

  /**
   * Reads {@code args}; default paths are taken under {@code home} (the repository when
   * quickstart.sh runs it), relative paths the user typed from the current folder.
   *
   * @throws UsageException when an option is unknown, repeated, missing its value or has a bad one
   */
  static Parsed parse(String[] args, Path home) {
    CommandLine cmd = commandLine();
    ParseResult result;
    try {
      result = cmd.parseArgs(args);
    } catch (ParameterException e) {
      throw new UsageException(grammarError(e));
    }
    if (cmd.isUsageHelpRequested()) {
      return new Help(cmd.getUsageMessage(CommandLine.Help.Ansi.OFF));
    }
    if (cmd.isVersionHelpRequested()) {
      return new Version(String.join(System.lineSeparator(), cmd.getCommandSpec().version()) + System.lineSeparator());
    }
    return new Run(((QuickstartCommand) cmd.getCommand()).options(result, home));
  }

  private static String grammarError(ParameterException e) {
    String message = Objects.requireNonNullElse(e.getMessage(), "the command line could not be read");
    if (e instanceof UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
      message += "; did you mean " + String.join(" or ", u.getSuggestions()) + "?";
    }
    return message;
  }

  /** Checks every value, in the order of the help, and resolves paths and defaults. */
  private Quickstart.Options options(ParseResult result, Path home) {
    Path appDir = app == null ? defaultApp(home) : path("--app", app);
    checkApp(appDir);
    String planId = plan == null ? DEFAULT_PLAN : plan;
    try {
      ProvisionRequest.builder().plan(planId);
    } catch (InvalidRequestException e) {
      throw reworded("--plan", e);
    }
    if (noDomain && result.hasMatchedOption("--domain")) {
      throw new UsageException("--domain and --no-domain cannot be used together: pass one of them");
    }
    String query = noDomain ? null : domain == null ? DEFAULT_DOMAIN : domain;
    if (query != null) {
      if (query.isBlank()) {
        throw new UsageException("--domain is empty: pass a word to search for, such as --domain my-app, "
            + "or --no-domain to register none");
      }
      try {
        DomainRequest.query(query);
      } catch (InvalidRequestException e) {
        throw reworded("--domain", e);
      }
    }
    List<String> ips = new ArrayList<>();
    for (String ip : allowIps) {
      try {
        ips.add(TokenSpec.cidr("--allow-ip", ip));
      } catch (InvalidRequestException e) {
        throw reworded("--allow-ip", e);
      }
    }
    if (real && ips.isEmpty()) {
      throw new UsageException("--real needs --allow-ip: the deploy token is bound to the addresses you deploy "
          + "from; pass your egress IP or range, such as --allow-ip 203.0.113.7");
    }
    int ttl = ttlDays == null ? DEFAULT_TTL_DAYS : days(ttlDays);
    Path outDir = out == null ? home.resolve("target").resolve("quickstart").toAbsolutePath() : path("--out", out);
    String address = email == null ? DEFAULT_EMAIL : email;
    if (address.isBlank() || !address.contains("@")) {
      throw new UsageException("--email '" + address + "' is not an e-mail address: pass one such as "
          + "--email " + DEFAULT_EMAIL);
    }
    String storeKind = store == null ? (jdbcUrl == null ? DEFAULT_STORE : "postgres") : store;
    if (!STORES.contains(storeKind)) {
      throw new UsageException("--store '" + storeKind + "' is not a store: pass --store file or --store postgres");
    }
    if (jdbcUrl != null) {
      if (storeKind.equals("file")) {
        throw new UsageException("--store file and --jdbc-url cannot be used together: --jdbc-url keeps the state "
            + "on PostgreSQL; drop one of them");
      }
      if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
        throw new UsageException("--jdbc-url '" + (jdbcUrl.contains("password") ? "[redacted]" : jdbcUrl)
            + "' is not a PostgreSQL JDBC URL: pass one such as jdbc:postgresql://localhost:5432/agentprovision");
      }
      try {
        JdbcStores.builder().jdbcUrl(jdbcUrl);
      } catch (InvalidRequestException e) {
        throw new UsageException("--jdbc-url " + e.problem() + ": put the password in AGENTPROVISION_JDBC_PASSWORD");
      }
    }
    return new Quickstart.Options(yes, direct, real, dryRun, appDir, query, planId, List.copyOf(ips), ttl, outDir,
        address, storeKind, jdbcUrl);
  }

  private static int days(String text) {
    long max = TokenSpec.MAX_TTL.toDays();
    int days;
    try {
      days = Integer.parseInt(text.trim());
    } catch (NumberFormatException e) {
      days = 0;
    }
    if (days < 1 || days > max) {
      throw new UsageException("--ttl-days must be 1.." + max + " (was '" + text + "'): pass the deploy token's "
          + "lifetime in whole days, such as --ttl-days " + DEFAULT_TTL_DAYS);
    }
    return days;
  }

  private static Path path(String option, String text) {
    if (text.isBlank()) {
      throw new UsageException(option + " is empty: pass a folder, such as " + option + " "
          + (option.equals("--out") ? "target/quickstart" : "examples/sample-app"));
    }
    try {
      return Path.of(text).toAbsolutePath();
    } catch (InvalidPathException e) {
      throw new UsageException(option + " '" + text + "' is not a path here: " + e.getReason());
    }
  }

  private static void checkApp(Path dir) {
    String hint = "pass the folder of a Worker app that holds its index.js, such as --app examples/sample-app";
    if (!Files.isDirectory(dir)) {
      throw new UsageException("--app '" + dir + "' is not a folder: " + hint);
    }
    try {
      WorkerApp.fromDirectory(dir);
    } catch (InvalidRequestException e) {
      throw new UsageException("--app '" + dir + "': " + e.problem() + ": " + hint);
    }
  }

  /** The sample app in the repository, whether run from its root or from examples/. */
  private static Path defaultApp(Path home) {
    for (Path p : List.of(home.resolve("examples").resolve("sample-app"), home.resolve("sample-app"))) {
      if (Files.isDirectory(p)) {
        return p.toAbsolutePath();
      }
    }
    return home.resolve("examples").resolve("sample-app").toAbsolutePath();
  }

  private static UsageException reworded(String option, InvalidRequestException e) {
    return new UsageException(option + " " + e.problem() + ": " + e.fix());
  }

  /** The version, read from a resource Maven fills in, and the wire versions this build speaks by default. */
  static final class VersionLines implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = "unknown";
      Properties p = new Properties();
      try (InputStream in = QuickstartCommand.class.getResourceAsStream("quickstart-version.properties")) {
        if (in != null) {
          p.load(in);
          String v = p.getProperty("version", "");
          version = v.isBlank() || v.contains("${") ? version : v;
        }
      } catch (IOException e) {
        // the version line says "unknown"; nothing else depends on it
      }
      return new String[] {
          "agentprovision Quickstart " + version,
          "provider protocol " + ProtocolClient.DEFAULT_API_VERSION + "; Stripe-Version "
              + StripeApi.DEFAULT_PROVISIONING_VERSION + " (provisioning), "
              + StripeApi.DEFAULT_SHARED_PAYMENT_VERSION + " (shared payment tokens)",
          "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")"};
    }
  }
}
