package io.agentprovision.core.internal.protocol;

import com.squareup.moshi.Json;
import com.squareup.moshi.JsonAdapter;
import com.squareup.moshi.JsonReader;
import com.squareup.moshi.Moshi;
import io.agentprovision.core.Secret;
import io.agentprovision.core.catalog.Pricing;
import io.agentprovision.core.catalog.ServiceOffering;
import io.agentprovision.core.internal.catalog.PricingJson;
import io.agentprovision.core.internal.wire.ReadOnlyAdapter;
import io.agentprovision.core.internal.wire.WireJson;
import io.agentprovision.core.orchestration.DeepLink;
import io.agentprovision.core.orchestration.ResourceStatus;
import io.agentprovision.core.protocol.AccountResponse;
import io.agentprovision.core.protocol.ProviderHealth;
import io.agentprovision.core.protocol.ProviderResource;
import io.agentprovision.core.protocol.ProviderTokens;
import io.agentprovision.core.protocol.ServicePage;
import io.agentprovision.core.wire.WireFormatException;
import java.io.IOException;
import java.lang.annotation.Annotation;
import java.lang.reflect.Type;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The provider protocol's answers as typed records bound with moshi, and their reading into the SPI
 * values. Tolerant where the protocol is open (unknown members ignored; unknown {@code status},
 * {@code type} and enumeration values kept as {@code UNKNOWN}; each union's details read from an
 * object named after its discriminator or, for the shapes seen so, from the top level) and strict
 * where it is not: a required member that is missing, or any member of the wrong JSON type, is a
 * {@link WireFormatException} naming its path. {@code docs/wire-notes.md} lists every variant read.
 */
public final class ProtocolWire {
  private ProtocolWire() {}

  // ---------------------------------------------------------------- records

  /** {@code GET /provisioning/health}. */
  public record HealthJson(@Json(name = "supported_versions") @Nullable List<String> supportedVersions,
      @Nullable String status) {}

  /** {@code GET /provisioning/services}: a page. */
  public record ServicePageJson(@Nullable List<ServiceJson> data, @Json(name = "next_cursor") @Nullable String nextCursor) {}

  /**
   * A service. {@code pricing} is bound by {@link Pricing#fromWire}, which reads every form and never
   * fails, so a pricing this SDK does not know makes that service's price unknown instead of failing
   * the catalog; {@code configuration_schema} and {@code constraints} are free-form JSON.
   */
  public record ServiceJson(@Nullable String id, @Json(name = "service_id") @Nullable String serviceId,
      @Nullable String description, @Nullable List<String> categories, @Nullable String kind,
      @Nullable Object pricing, @Nullable String group, @Nullable String scope,
      @Json(name = "configuration_schema") @Nullable Map<String, Object> configurationSchema,
      @Json(name = "allowed_updates") @Nullable List<PricingJson.ServiceRef> allowedUpdates) {}

  /** An account request's answer, a union on {@code type}. */
  public sealed interface AccountAnswerJson permits CredentialsAnswer, OAuthAnswer, RequiresAuthAnswer, ErrorAnswer,
      OtherAnswer {}

  /** {@code {type:"credentials", credentials:{type:"bearer", bearer:{…}}}}. */
  public record CredentialsAnswer(@Nullable String type, @Nullable CredentialsJson credentials)
      implements AccountAnswerJson {}

  /**
   * {@code credentials}: the tokens under an object named after its {@code type} ({@code bearer}), or
   * (seen) one level up.
   */
  public record CredentialsJson(@Nullable String type, @Nullable TokensJson bearer,
      @Json(name = "access_token") @Nullable String accessToken, @Json(name = "refresh_token") @Nullable String refreshToken,
      @Json(name = "expires_in") @Nullable Long expiresIn, @Nullable AccountJson account,
      @Json(name = "account_id") @Nullable String accountId) {}

  /** {@code {type:"oauth", oauth:{code}}}. */
  public record OAuthAnswer(@Nullable String type, @Nullable CodeJson oauth) implements AccountAnswerJson {}

  /** {@code oauth}. */
  public record CodeJson(@Nullable String code) {}

  /** {@code {type:"requires_auth", requires_auth:{type:"redirect", redirect:{url}}}} (or {@code requires_auth.url}). */
  public record RequiresAuthAnswer(@Nullable String type, @Json(name = "requires_auth") @Nullable RequiresAuthJson requiresAuth)
      implements AccountAnswerJson {}

  /** {@code requires_auth}. */
  public record RequiresAuthJson(@Nullable String type, @Nullable UrlJson redirect, @Nullable String url) {}

  /** {@code redirect}. */
  public record UrlJson(@Nullable String url) {}

  /** {@code {type:"error", error:{code, message}}}. */
  public record ErrorAnswer(@Nullable String type, @Nullable ErrorJson error) implements AccountAnswerJson {}

  /** Any other {@code type}. */
  public record OtherAnswer(@Nullable String type) implements AccountAnswerJson {}

  /** Tokens: a {@code bearer} object or the token endpoint's answer. */
  public record TokensJson(@Json(name = "token_type") @Nullable String tokenType,
      @Json(name = "access_token") @Nullable String accessToken, @Json(name = "refresh_token") @Nullable String refreshToken,
      @Json(name = "expires_in") @Nullable Long expiresIn, @Nullable AccountJson account,
      @Json(name = "account_id") @Nullable String accountId) {}

  /** {@code account{id, payment_credentials}}. */
  public record AccountJson(@Nullable String id, @Json(name = "payment_credentials") @Nullable String paymentCredentials) {}

  /**
   * {@code error}: an object {@code {code, message}}, or (OAuth) a string code with
   * {@code error_description} beside it.
   */
  public record ErrorJson(@Nullable String code, @Nullable String message) {}

  /**
   * A resource answer, on {@code status}: {@code complete{access_configuration}},
   * {@code needs_information{schema}}, {@code error{code,message}}, {@code pending}, {@code removed}.
   * Seen flat as well: {@code access_configuration}, {@code needs_information_schema} or
   * {@code schema} at the top level.
   */
  public record ResourceJson(@Nullable String id, @Nullable String status, @Nullable CompleteJson complete,
      @Json(name = "needs_information") @Nullable NeedsInformationJson needsInformation, @Nullable ErrorJson error,
      @Json(name = "access_configuration") @Nullable Map<String, Object> accessConfiguration,
      @Json(name = "needs_information_schema") @Nullable Map<String, Object> needsInformationSchema,
      @Nullable Map<String, Object> schema) {}

  /** {@code complete}. */
  public record CompleteJson(@Json(name = "access_configuration") @Nullable Map<String, Object> accessConfiguration) {}

  /** {@code needs_information}. */
  public record NeedsInformationJson(@Nullable Map<String, Object> schema) {}

  /** An error answer's body: {@code {error, error_description?}} (and, for a resource, {@code id}, {@code status}). */
  public record ErrorBodyJson(@Nullable ErrorJson error, @Json(name = "error_description") @Nullable String errorDescription,
      @Nullable String message) {}

  /** {@code POST /provisioning/deep_links}. */
  public record DeepLinkJson(@Nullable String purpose, @Nullable String url, @Json(name = "expires_at") @Nullable Long expiresAt) {}

  private static final Set<String> RESOURCE_KEYS = Set.of("id", "status", "access_configuration", "error",
      "needs_information", "complete", "pending", "removed", "schema", "needs_information_schema");

  private static final WireJson JSON = WireJson.with(
      WireJson.union(AccountAnswerJson.class, "type", Map.of("credentials", CredentialsAnswer.class,
          "oauth", OAuthAnswer.class, "requires_auth", RequiresAuthAnswer.class, "error", ErrorAnswer.class),
          OtherAnswer.class),
      new ErrorFactory(), PricingJson.SERVICE_REFS);

  // ---------------------------------------------------------------- readers

  /** The health answer. */
  public static ProviderHealth health(Map<String, Object> m) {
    HealthJson h = JSON.bind(HealthJson.class, m);
    List<String> versions = new ArrayList<>();
    for (String v : WireJson.list(h.supportedVersions())) {
      if (v != null) {
        versions.add(v);
      }
    }
    return new ProviderHealth(h.status() == null ? "unknown" : h.status(), versions);
  }

  /** A page of {@code GET /provisioning/services}. */
  public static ServicePage services(Map<String, Object> m, String provider) {
    ServicePageJson page = JSON.bind(ServicePageJson.class, m);
    List<ServiceOffering> out = new ArrayList<>();
    List<ServiceJson> data = WireJson.list(page.data());
    for (int i = 0; i < data.size(); i++) {
      ServiceJson s = data.get(i);
      if (s == null) {
        continue;
      }
      String id = WireJson.required(s.id() != null ? s.id() : s.serviceId(), "$.data[" + i + "].id");
      List<String> updates = new ArrayList<>();
      for (PricingJson.ServiceRef u : WireJson.list(s.allowedUpdates())) {
        if (u != null && u.id() != null) {
          updates.add(u.id());
        }
      }
      List<String> categories = new ArrayList<>();
      for (String c : WireJson.list(s.categories())) {
        if (c != null) {
          categories.add(c);
        }
      }
      out.add(new ServiceOffering(id, provider, s.description(), categories, s.kind() == null ? "unknown" : s.kind(),
          s.scope() == null ? "project" : s.scope(), Pricing.fromWire(WireJson.normalize(s.pricing())),
          WireJson.object(s.configurationSchema()), updates));
    }
    return new ServicePage(out, page.nextCursor());
  }

  /** The answer to an account request, by its {@code type}. */
  public static AccountResponse accountResponse(Map<String, Object> m, Clock clock) {
    AccountAnswerJson a = JSON.bind(AccountAnswerJson.class, m);
    if (a instanceof CredentialsAnswer c) {
      CredentialsJson cj = WireJson.required(c.credentials(), "$.credentials");
      if (cj.bearer() != null) {
        return new AccountResponse.Credentials(tokens(cj.bearer(), clock, "$.credentials.bearer"));
      }
      // seen: the token fields one level up
      return new AccountResponse.Credentials(tokens(new TokensJson(null, cj.accessToken(), cj.refreshToken(),
          cj.expiresIn(), cj.account(), cj.accountId()), clock, "$.credentials.bearer"));
    }
    if (a instanceof OAuthAnswer o) {
      String code = WireJson.required(o.oauth() == null ? null : o.oauth().code(), "$.oauth.code");
      return new AccountResponse.OAuthCode(Secret.of(code));
    }
    if (a instanceof RequiresAuthAnswer r) {
      RequiresAuthJson ra = WireJson.required(r.requiresAuth(), "$.requires_auth");
      String url = ra.redirect() != null && ra.redirect().url() != null ? ra.redirect().url() : ra.url();
      return new AccountResponse.RequiresAuth(uri(WireJson.required(url, "$.requires_auth.redirect.url"),
          "$.requires_auth.redirect.url"));
    }
    if (a instanceof ErrorAnswer e) {
      ErrorJson err = e.error();
      String code = err == null || err.code() == null ? "unknown" : err.code();
      return new AccountResponse.Error(code, Secret.scrub(err == null ? null : err.message()));
    }
    String type = ((OtherAnswer) a).type();
    return new AccountResponse.Error("unsupported_response_type",
        "the provider answered with type '" + Secret.scrub(type) + "', which this client does not know");
  }

  /** Tokens from the token endpoint. */
  public static ProviderTokens tokens(Map<String, Object> m, Clock clock) {
    return tokens(JSON.bind(TokensJson.class, m), clock, "$");
  }

  private static ProviderTokens tokens(TokensJson t, Clock clock, String at) {
    String access = WireJson.required(t.accessToken(), at + ".access_token");
    String accountId = WireJson.required(t.account() != null && t.account().id() != null ? t.account().id()
        : t.accountId(), at + ".account.id");
    Instant now = clock.instant();
    String refresh = t.refreshToken();
    return new ProviderTokens(Secret.of(access), refresh == null || refresh.isEmpty() ? null : Secret.of(refresh),
        t.expiresIn() == null ? null : now.plusSeconds(t.expiresIn()), accountId,
        t.account() == null ? null : t.account().paymentCredentials(), now);
  }

  /**
   * A resource answer. {@code fallbackId} is the id the call was made for (null for a create). An
   * answer without an id is read only for {@code needs_information} (the provider kept nothing);
   * an {@code error} without one is returned as {@link ResourceStatus#ERRORED} with a null id for
   * the caller to throw.
   */
  public static ResourceAnswer resource(Map<String, Object> m, @Nullable String fallbackId) {
    ResourceJson r = JSON.bind(ResourceJson.class, m);
    ResourceStatus status = ResourceStatus.fromWire(r.status());
    String id = r.id() != null ? r.id() : fallbackId;
    Map<String, Object> access = r.complete() != null && r.complete().accessConfiguration() != null
        ? r.complete().accessConfiguration() : r.accessConfiguration();
    Map<String, Secret> creds = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : WireJson.object(access).entrySet()) {
      Object v = e.getValue();
      if (v instanceof String s && !s.isEmpty()) {
        creds.put(e.getKey(), Secret.of(s));
      } else if (v instanceof Number || v instanceof Boolean) {
        creds.put(e.getKey(), Secret.of(String.valueOf(v))); // an account id sent as a number
      }
    }
    Map<String, Object> schema = null;
    if (status == ResourceStatus.NEEDS_INFORMATION) {
      Map<String, Object> s = r.needsInformation() != null ? r.needsInformation().schema() : null;
      if (s == null) {
        s = r.needsInformationSchema() != null ? r.needsInformationSchema() : r.schema();
      }
      schema = WireJson.object(WireJson.required(s, "$.needs_information.schema"));
    }
    String code = null;
    String message = null;
    if (status == ResourceStatus.ERRORED && r.error() != null) {
      code = r.error().code();
      message = r.error().message();
    }
    Map<String, String> attributes = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : m.entrySet()) {
      Object v = e.getValue();
      // the free-form rest of the answer: scalar facts the engine may use (the registered domain)
      if (!RESOURCE_KEYS.contains(e.getKey()) && (v instanceof String || v instanceof Number || v instanceof Boolean)) {
        attributes.put(e.getKey(), String.valueOf(v));
      }
    }
    if (id == null && status != ResourceStatus.NEEDS_INFORMATION && status != ResourceStatus.ERRORED) {
      throw new WireFormatException("$.id", "is missing");
    }
    return new ResourceAnswer(id, status, creds, schema, code, message == null ? null : Secret.scrub(message),
        attributes);
  }

  /**
   * A resource answer before the caller decides what an answer without an id means.
   *
   * @param id the resource id, null when the answer named none
   */
  public record ResourceAnswer(@Nullable String id, ResourceStatus status, Map<String, Secret> accessConfiguration,
      @Nullable Map<String, Object> needsInformationSchema, @Nullable String errorCode, @Nullable String errorMessage,
      Map<String, String> attributes) {
    /** As the SPI value; an errored answer needs an id. */
    public ProviderResource toResource() {
      return new ProviderResource(id, status, accessConfiguration, needsInformationSchema, errorCode, errorMessage,
          attributes);
    }
  }

  /** A deep link. */
  public static DeepLink deepLink(Map<String, Object> m, String purpose) {
    DeepLinkJson d = JSON.bind(DeepLinkJson.class, m);
    String url = WireJson.required(d.url(), "$.url");
    return new DeepLink(d.purpose() == null ? purpose : d.purpose(), uri(url, "$.url"),
        d.expiresAt() == null ? null : Instant.ofEpochSecond(d.expiresAt()));
  }

  /**
   * The code and message of an error answer ({@code {error:{code,message}}},
   * {@code {status:"error", error:{…}}}, or OAuth's {@code {error, error_description}}); nulls when
   * the body has none.
   */
  public static ErrorJson error(Map<String, Object> m) {
    ErrorBodyJson b;
    try {
      b = JSON.bind(ErrorBodyJson.class, m);
    } catch (WireFormatException e) {
      return new ErrorJson(null, null);
    }
    ErrorJson e = b.error();
    String code = e == null ? null : e.code();
    String message = e != null && e.message() != null ? e.message()
        : b.errorDescription() != null ? b.errorDescription() : b.message();
    return new ErrorJson(code, message);
  }

  private static URI uri(String value, String path) {
    try {
      URI u = new URI(value);
      if (!u.isAbsolute()) {
        throw new WireFormatException(path, "is not an absolute URL");
      }
      return u;
    } catch (URISyntaxException e) {
      throw new WireFormatException(path, "is not a URL");
    }
  }

  /** Binds {@link ErrorJson} from an object or, as OAuth sends it, a string code. */
  private static final class ErrorFactory implements JsonAdapter.Factory {
    @Override
    public @Nullable JsonAdapter<?> create(Type type, Set<? extends Annotation> annotations, Moshi moshi) {
      if (type != ErrorJson.class || !annotations.isEmpty()) {
        return null;
      }
      JsonAdapter<ErrorJson> object = moshi.nextAdapter(this, type, annotations);
      return new ReadOnlyAdapter<ErrorJson>() {
        @Override
        public @Nullable ErrorJson fromJson(JsonReader reader) throws IOException {
          if (reader.peek() == JsonReader.Token.STRING) {
            return new ErrorJson(reader.nextString(), null);
          }
          return object.fromJson(reader);
        }
      };
    }
  }
}
