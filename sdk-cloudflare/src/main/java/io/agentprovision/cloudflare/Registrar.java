package io.agentprovision.cloudflare;

import io.agentprovision.cloudflare.internal.Wire;
import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import okhttp3.HttpUrl;
import org.jspecify.annotations.Nullable;

/**
 * The 2026 Cloudflare Registrar API of one account: search, authoritative availability and price,
 * registration as a workflow to poll, and registrations. Registering is billable and
 * non-refundable; inside a provisioning run use {@link DomainPurchase}, which puts the price through
 * spend policy and approval first. {@link #sandbox()} addresses the free registrar sandbox
 * ({@code …/registrar-sandbox/…}: {@code com} and {@code net} only, no zone created) for tests
 * against real accounts.
 *
 * <pre>{@code
 * Registrar reg = client.registrar(accountId);
 * DomainQuote q = reg.check("my-app.com");
 * if (q.registrable()) {
 *   RegistrationWorkflow wf = reg.register("my-app.com", 1, false);
 *   while (!wf.terminal()) { wf = reg.follow(wf); }   // DomainPurchase does this with backoff
 * }
 * }</pre>
 */
public final class Registrar {
  /** The most names one domain-check call takes. */
  public static final int MAX_CHECK = 20;

  private final CloudflareClient client;
  private final String accountId;
  private final boolean sandbox;
  private final String base;

  Registrar(CloudflareClient client, String accountId, boolean sandbox) {
    this.client = Objects.requireNonNull(client, "client");
    this.accountId = accountId;
    this.sandbox = sandbox;
    this.base = "/accounts/" + CloudflareClient.segment(accountId, "accountId") + (sandbox ? "/registrar-sandbox" : "/registrar");
  }

  /** The same account's registrar sandbox: free, {@code com}/{@code net} only, creates no zone. */
  public Registrar sandbox() {
    return new Registrar(client, accountId, true);
  }

  public boolean isSandbox() {
    return sandbox;
  }

  public String accountId() {
    return accountId;
  }

  /**
   * Suggests names for {@code query}. Search answers are not authoritative: confirm with
   * {@link #check(List)} before buying.
   *
   * @param limit the most suggestions (Cloudflare's default is 20)
   * @param extensions TLDs to search in, such as {@code com}; empty for Cloudflare's choice
   */
  public List<DomainQuote> search(String query, int limit, List<String> extensions) {
    if (query == null || query.isBlank()) {
      throw new InvalidRequestException("query", "is empty", "pass a word such as \"my-app\"");
    }
    if (limit < 1 || limit > 100) {
      throw new InvalidRequestException("limit", "must be 1 to 100 (was " + limit + ")", "pass 20");
    }
    Map<String, Object> q = new LinkedHashMap<>();
    q.put("q", query.trim());
    q.put("limit", limit);
    if (!extensions.isEmpty()) {
      q.put("extensions", extensions);
    }
    return quotes(client.get(base + "/domain-search", q, Wire.DomainListJson.class), "GET " + base + "/domain-search");
  }

  /** Authoritative availability and pricing of up to {@link #MAX_CHECK} names. */
  public List<DomainQuote> check(List<String> names) {
    if (names.isEmpty() || names.size() > MAX_CHECK) {
      throw new InvalidRequestException("domains", "must hold 1 to " + MAX_CHECK + " names (was " + names.size() + ")",
          "check at most " + MAX_CHECK + " names per call");
    }
    List<String> clean = new ArrayList<>();
    for (String n : names) {
      clean.add(domain(n));
    }
    return quotes(client.post(base + "/domain-check", Map.of("domains", clean), Wire.DomainListJson.class),
        "POST " + base + "/domain-check");
  }

  /** Authoritative availability and pricing of one name. */
  public DomainQuote check(String name) {
    String d = domain(name);
    return check(List.of(d)).stream().filter(q -> q.name().equalsIgnoreCase(d)).findFirst()
        .orElseThrow(() -> new CloudflareException(200, List.of(CloudflareError.of(0, "domain-check did not answer for " + d)),
            List.of(), null, null, "POST " + base + "/domain-check"));
  }

  /**
   * Starts registering {@code domainName} (billable). Sends {@code Prefer: respond-async}, so the
   * answer is at once: 201 when already done, 202 with a workflow to poll with {@link #follow}.
   */
  public RegistrationWorkflow register(String domainName, int years, boolean autoRenew) {
    if (years < 1 || years > 10) {
      throw new InvalidRequestException("years", "must be 1 to 10 (was " + years + ")", "pass 1");
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("domain_name", domain(domainName));
    body.put("years", years);
    body.put("auto_renew", autoRenew);
    body.put("privacy_mode", "redaction");
    return client.<Wire.WorkflowJson>exchange("POST", base + "/registrations", Map.of(), CloudflareClient.json(body),
        Map.of("Prefer", "respond-async"), Wire.WorkflowJson.class).map(RegistrationWorkflow::from);
  }

  /** The registration workflow's current state. */
  public RegistrationWorkflow status(String domainName) {
    return workflow(base + "/registrations/" + CloudflareClient.segment(domain(domainName), "domain")
        + "/registration-status");
  }

  /**
   * Reads the workflow again at its {@code links.self} (a path under the API base, or a full URL on
   * the same host), falling back to {@link #status} for the domain when it has no link.
   */
  public RegistrationWorkflow follow(RegistrationWorkflow workflow) {
    String self = workflow.selfLink();
    if (self == null || self.isBlank()) {
      String d = workflow.domainName();
      if (d == null) {
        throw new InvalidRequestException("workflow", "has neither links.self nor a domain name", "poll status(domain)");
      }
      return status(d);
    }
    return workflow(apiPath(self));
  }

  private RegistrationWorkflow workflow(String path) {
    return client.<Wire.WorkflowJson>exchange("GET", path, Map.of(), null, Map.of(), Wire.WorkflowJson.class)
        .map(RegistrationWorkflow::from);
  }

  private String apiPath(String link) {
    String path = link;
    HttpUrl abs = HttpUrl.parse(link);
    if (abs != null) {
      HttpUrl baseUrl = client.baseUrl();
      if (!abs.host().equals(baseUrl.host()) || abs.port() != baseUrl.port()) {
        throw new InvalidRequestException("links.self", "'" + link + "' points away from the API host",
            "follow only links on " + baseUrl.host());
      }
      path = abs.encodedPath();
    }
    String basePath = client.baseUrl().encodedPath();
    if (!basePath.equals("/") && path.startsWith(basePath + "/")) {
      path = path.substring(basePath.length());
    }
    if (!path.startsWith("/accounts/")) {
      throw new InvalidRequestException("links.self", "'" + link + "' is not an account path", "poll status(domain)");
    }
    return path;
  }

  /** The registration of {@code domainName}. */
  public Registration registration(String domainName) {
    return client.<Wire.RegistrationJson>exchange("GET", base + "/registrations/"
        + CloudflareClient.segment(domain(domainName), "domain"), Map.of(), null, Map.of(), Wire.RegistrationJson.class)
        .map(Registration::from);
  }

  /**
   * Sets whether {@code domainName} renews itself: {@code PATCH …/registrations/{domain}
   * {"auto_renew": …}}, the one field of a registration the API lets anyone change. Answers with the
   * update's workflow (200 when done, 202 to poll with {@link #follow}); the domain stays registered
   * until it expires either way.
   */
  public RegistrationWorkflow setAutoRenew(String domainName, boolean autoRenew) {
    return client.<Wire.WorkflowJson>exchange("PATCH", base + "/registrations/"
        + CloudflareClient.segment(domain(domainName), "domain"), Map.of(),
        CloudflareClient.json(Map.of("auto_renew", autoRenew)), Map.of(), Wire.WorkflowJson.class)
        .map(RegistrationWorkflow::from);
  }

  /** Every registration of the account (cursor pages). */
  public List<Registration> registrations() {
    return client.listCursor(base + "/registrations", Map.of(), Wire.RegistrationJson.class, Registration::from);
  }

  private static List<DomainQuote> quotes(CloudflareResponse<Wire.DomainListJson> r, String context) {
    return new CloudflareClient.Answer<>(r, context).map(list -> {
      List<DomainQuote> out = new ArrayList<>();
      int i = 0;
      for (Wire.QuoteJson q : list.domainList()) {
        try {
          out.add(DomainQuote.from(q));
        } catch (Wire.MissingField e) {
          throw e.within("domains[" + i + "].");
        }
        i++;
      }
      return out;
    });
  }

  static String domain(String name) {
    if (name == null || !name.trim().matches("(?i)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z0-9-]{2,63}\\.?")) {
      throw new InvalidRequestException("domain", "'" + name + "' is not a domain name", "pass a name such as \"my-app.com\"");
    }
    String d = name.trim().toLowerCase(Locale.ROOT);
    return d.endsWith(".") ? d.substring(0, d.length() - 1) : d;
  }

  /**
   * Availability and price of one name, from search or check. Prices are exact: Cloudflare's
   * decimal strings become {@link Money} without floating point.
   *
   * @param name the domain
   * @param registrable whether it can be registered through the API now
   * @param registrationCost the first year's price, when given
   * @param renewalCost each later year's price, when given
   * @param tier {@code standard} or {@code premium}, when given
   * @param reason why it is not registrable, when it is not
   */
  public record DomainQuote(String name, boolean registrable, @Nullable Money registrationCost, @Nullable Money renewalCost,
      @Nullable String tier, @Nullable String reason) {
    public DomainQuote {
      Objects.requireNonNull(name, "name");
    }

    static DomainQuote from(Wire.QuoteJson j) {
      Wire.PricingJson pricing = j.pricing();
      Money reg = null;
      Money renew = null;
      if (pricing != null) {
        String currency = pricing.currency() == null ? "USD" : pricing.currency();
        String r = pricing.registrationCost();
        String n = pricing.renewalCost();
        reg = r == null ? null : Money.fromDecimal("pricing.registration_cost", r, currency);
        renew = n == null ? null : Money.fromDecimal("pricing.renewal_cost", n, currency);
      }
      return new DomainQuote(Wire.required(j.name(), "name").toLowerCase(Locale.ROOT),
          Boolean.TRUE.equals(j.registrable()), reg, renew, j.tier(), j.reason());
    }

    /** The price of registering for {@code years}: the first year, then renewals; null when unpriced. */
    public @Nullable Money price(int years) {
      if (registrationCost == null) {
        return null;
      }
      if (years <= 1) {
        return registrationCost;
      }
      Money later = renewalCost != null ? renewalCost : registrationCost;
      return registrationCost.plus(later.times(years - 1L));
    }

    /** The top-level domain, such as {@code com}. */
    public String tld() {
      int dot = name.lastIndexOf('.');
      return dot < 0 ? name : name.substring(dot + 1);
    }
  }

  /**
   * A registration workflow as Cloudflare reports it.
   *
   * @param state the state
   * @param completed whether the workflow has finished (well or not)
   * @param selfLink {@code links.self}: where to poll
   * @param context {@code context}: domain name; on success the registration; on
   *     {@code action_required} what to do ({@code action}, {@code confirmation_sent_to})
   * @param errorCode {@code error.code}, when it failed
   * @param errorMessage {@code error.message}, when it failed
   * @param updatedAt when it last changed
   */
  public record RegistrationWorkflow(State state, boolean completed, @Nullable String selfLink, Map<String, Object> context,
      @Nullable String errorCode, @Nullable String errorMessage, @Nullable Instant updatedAt) {
    /** Workflow states; {@code UNKNOWN} for a state this SDK does not know yet. */
    public enum State { PENDING, IN_PROGRESS, ACTION_REQUIRED, BLOCKED, SUCCEEDED, FAILED, UNKNOWN }

    public RegistrationWorkflow {
      Objects.requireNonNull(state, "state");
      context = Map.copyOf(context);
    }

    static RegistrationWorkflow from(Wire.WorkflowJson j) {
      State s;
      try {
        s = State.valueOf(Wire.required(j.state(), "state").toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        s = State.UNKNOWN;
      }
      Wire.WorkflowErrorJson err = j.error();
      Wire.LinksJson links = j.links();
      // the context is open-ended by design (domain_name, action, confirmation_sent_to, …): kept as given
      Map<String, Object> ctx = new LinkedHashMap<>();
      Map<String, Object> given = j.context();
      if (given != null) {
        given.forEach((k, v) -> {
          if (v != null) {
            ctx.put(k, v);
          }
        });
      }
      return new RegistrationWorkflow(s, Boolean.TRUE.equals(j.completed()), links == null ? null : links.self(), ctx,
          err == null ? null : err.code(), err == null ? null : err.message(), j.updatedAt());
    }

    /** The domain the workflow is about, from its context, when given. */
    public @Nullable String domainName() {
      return context.get("domain_name") instanceof String d ? d : null;
    }

    /** Whether polling again cannot change anything without someone acting. */
    public boolean terminal() {
      return state == State.SUCCEEDED || state == State.FAILED;
    }

    /** Whether a person must act (confirm an e-mail, supply documents) before it can go on. */
    public boolean needsHuman() {
      return state == State.ACTION_REQUIRED || state == State.BLOCKED;
    }
  }

  /**
   * A registered domain.
   *
   * @param domainName the domain
   * @param status {@code active}, {@code registration_pending}, …
   * @param autoRenew whether it renews itself
   * @param createdAt when it was registered
   * @param expiresAt when it expires, when known
   */
  public record Registration(String domainName, String status, boolean autoRenew, @Nullable Instant createdAt,
      @Nullable Instant expiresAt) {
    static Registration from(Wire.RegistrationJson j) {
      String status = j.status();
      return new Registration(Wire.required(j.domainName(), "domain_name"), status == null ? "" : status,
          Boolean.TRUE.equals(j.autoRenew()), j.createdAt(), j.expiresAt());
    }
  }
}
