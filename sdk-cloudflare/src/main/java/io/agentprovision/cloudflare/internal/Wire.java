package io.agentprovision.cloudflare.internal;

import com.squareup.moshi.Json;
import com.squareup.moshi.JsonAdapter;
import com.squareup.moshi.JsonReader;
import com.squareup.moshi.JsonWriter;
import com.squareup.moshi.Moshi;
import com.squareup.moshi.Types;
import java.io.IOException;
import java.lang.annotation.Annotation;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The shapes of Cloudflare's v4 answers, as moshi-bound records: the envelope and every result the
 * SDK reads. Tolerant readers: unknown fields are skipped, optional ones are null, and what the SDK
 * cannot do without is checked with {@link #required}, which names the field. Timestamps that do not
 * parse are read as absent, as Cloudflare's formats vary (with and without fractions and offsets).
 */
public final class Wire {
  private static final Moshi MOSHI = new Moshi.Builder().add(new Adapters())
      .addLast(io.agentprovision.core.wire.WireRecords.records()).build();

  private Wire() {}

  /** The moshi instance that binds these records (and any result type a caller asks for). */
  public static Moshi moshi() {
    return MOSHI;
  }

  /**
   * The envelope adapter of each result class, made once: every answer is read through one, and
   * asking moshi for it each time made the envelope's parameterized type and went through moshi's
   * synchronized cache on every request. A {@link ClassValue}, so that a caller's result class is
   * not held beyond its class loader.
   */
  private static final ClassValue<JsonAdapter<Envelope<Object>>> ENVELOPES = new ClassValue<>() {
    @Override
    protected JsonAdapter<Envelope<Object>> computeValue(Class<?> result) {
      return adapterOf(result);
    }
  };

  /** The same for a result that is a list of the class. */
  private static final ClassValue<JsonAdapter<Envelope<Object>>> LIST_ENVELOPES = new ClassValue<>() {
    @Override
    protected JsonAdapter<Envelope<Object>> computeValue(Class<?> item) {
      return adapterOf(Types.newParameterizedType(List.class, item));
    }
  };

  /** {@code List<item>} per item class, made once ({@link #listOf}). */
  private static final ClassValue<ParameterizedType> LISTS = new ClassValue<>() {
    @Override
    protected ParameterizedType computeValue(Class<?> item) {
      return Types.newParameterizedType(List.class, item);
    }
  };

  private static JsonAdapter<Envelope<Object>> adapterOf(Type resultType) {
    return MOSHI.adapter(Types.newParameterizedTypeWithOwner(Wire.class, Envelope.class, resultType));
  }

  /** The adapter for an envelope whose {@code result} is of {@code resultType}. */
  public static JsonAdapter<Envelope<Object>> envelope(Type resultType) {
    if (resultType instanceof Class<?> c) {
      return ENVELOPES.get(c);
    }
    if (resultType instanceof ParameterizedType p && p.getRawType() == List.class
        && p.getActualTypeArguments()[0] instanceof Class<?> item) {
      return LIST_ENVELOPES.get(item);
    }
    return adapterOf(resultType);
  }

  /** {@code List<item>}, the same instance for every call with one item class. */
  public static Type listOf(Class<?> item) {
    return LISTS.get(item);
  }

  /** A required field was absent (or empty): the answer is not what Cloudflare documents. */
  public static final class MissingField extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String field;
    private final @Nullable String meaning;

    public MissingField(String field, @Nullable String meaning) {
      super("the answer lacks the required field '" + field + "'");
      this.field = field;
      this.meaning = meaning;
    }

    /** The field's name, relative to the object that lacks it. */
    public String field() {
      return field;
    }

    /** What its absence means to the caller, such as "the create answer holds no token value", when said. */
    public @Nullable String meaning() {
      return meaning;
    }

    /** The same absence, {@code prefix} put before the field's name. */
    public MissingField within(String prefix) {
      return new MissingField(prefix + field, meaning);
    }
  }

  /** {@code value}, or a {@link MissingField} naming {@code field} when it is null or blank. */
  public static <T> T required(@Nullable T value, String field) {
    return required(value, field, null);
  }

  /** {@link #required(Object, String)}, saying what the absence means. */
  public static <T> T required(@Nullable T value, String field, @Nullable String meaning) {
    if (value == null || (value instanceof String s && s.isBlank())) {
      throw new MissingField(field, meaning);
    }
    return value;
  }

  /** The form Cloudflare writes timestamps in: UTC, whole seconds, such as {@code 2026-11-02T09:00:00Z}. */
  public static String timestamp(Instant instant) {
    return instant.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  private static <T> List<T> list(@Nullable List<T> l) {
    return l == null ? List.of() : l;
  }

  // ---- the envelope ---------------------------------------------------------------------------

  /**
   * {@code {success, errors[], messages[], result, result_info}}.
   *
   * @param <T> the result's type
   */
  public record Envelope<T>(@Nullable Boolean success, @Nullable List<Message> errors, @Nullable List<Message> messages,
      @Nullable T result, @Json(name = "result_info") @Nullable ResultInfo resultInfo) {
    public List<Message> errorList() {
      return list(errors);
    }

    public List<Message> messageList() {
      return list(messages);
    }
  }

  /**
   * One entry of {@code errors[]} or {@code messages[]}: {@code {code, message, documentation_url,
   * source{pointer}, error_chain[]}}; a bare string is read as a message without code.
   */
  public record Message(int code, @Nullable String message, @Json(name = "documentation_url") @Nullable String documentationUrl,
      @Nullable Source source, @Json(name = "error_chain") @Nullable List<Message> errorChain) {
    public List<Message> chain() {
      return list(errorChain);
    }
  }

  /** {@code source.pointer}: the JSON pointer of the request field at fault. */
  public record Source(@Nullable String pointer) {}

  /** {@code result_info}: page numbers ({@code page}, {@code total_pages}) or a {@code cursor}. */
  public record ResultInfo(@Nullable Integer page, @Json(name = "per_page") @Nullable Integer perPage,
      @Nullable Integer count, @Json(name = "total_count") @Nullable Integer totalCount,
      @Json(name = "total_pages") @Nullable Integer totalPages, @Nullable String cursor) {}

  // ---- results --------------------------------------------------------------------------------

  /** An account. */
  public record AccountJson(@Nullable String id, @Nullable String name, @Nullable String type) {}

  /** An API token, as created (with {@code value}), read or listed. */
  public record TokenJson(@Nullable String id, @Nullable String name, @Nullable String status,
      @Nullable List<PolicyJson> policies, @Nullable ConditionJson condition,
      @Json(name = "issued_on") @Nullable Instant issuedOn, @Json(name = "not_before") @Nullable Instant notBefore,
      @Json(name = "expires_on") @Nullable Instant expiresOn, @Nullable String value) {
    public List<PolicyJson> policyList() {
      return list(policies);
    }
  }

  /** A token policy: {@code {id, effect, permission_groups[{id, name}], resources}}. */
  public record PolicyJson(@Nullable String id, @Nullable String effect,
      @Json(name = "permission_groups") @Nullable List<PermissionGroupJson> permissionGroups,
      @Nullable Map<String, Object> resources) {
    public List<PermissionGroupJson> groups() {
      return list(permissionGroups);
    }
  }

  /**
   * A token's condition. Cloudflare writes {@code request_ip}; older answers (and documents) use
   * {@code "request.ip"}: both are read.
   */
  public record ConditionJson(@Json(name = "request_ip") @Nullable IpConditionJson requestIp,
      @Json(name = "request.ip") @Nullable IpConditionJson legacyRequestIp) {
    public @Nullable IpConditionJson ip() {
      return requestIp != null ? requestIp : legacyRequestIp;
    }
  }

  /** {@code {in[], not_in[]}}: client addresses allowed and denied. */
  public record IpConditionJson(@Json(name = "in") @Nullable List<String> allowed,
      @Json(name = "not_in") @Nullable List<String> denied) {
    public List<String> allowedList() {
      return list(allowed);
    }

    public List<String> deniedList() {
      return list(denied);
    }
  }

  /** A permission group: {@code {id, name, scopes[]}}. */
  public record PermissionGroupJson(@Nullable String id, @Nullable String name, @Nullable List<String> scopes) {
    public List<String> scopeList() {
      return list(scopes);
    }
  }

  /** {@code GET …/tokens/verify}. */
  public record VerifyJson(@Nullable String id, @Nullable String status,
      @Json(name = "not_before") @Nullable Instant notBefore, @Json(name = "expires_on") @Nullable Instant expiresOn) {}

  /** A token value: the bare string token roll answers with, or an object holding {@code value}. */
  public record TokenValue(@Nullable String value) {}

  /** A zone. */
  public record ZoneJson(@Nullable String id, @Nullable String name, @Nullable String status,
      @Nullable AccountJson account, @Json(name = "name_servers") @Nullable List<String> nameServers,
      @Json(name = "activated_on") @Nullable Instant activatedOn) {
    public List<String> nameServerList() {
      return list(nameServers);
    }
  }

  /** A Worker script. */
  public record ScriptJson(@Nullable String id, @Nullable String etag,
      @Json(name = "compatibility_date") @Nullable String compatibilityDate,
      @Json(name = "modified_on") @Nullable Instant modifiedOn,
      @Json(name = "startup_time_ms") @Nullable Long startupTimeMs) {}

  /** The account's workers.dev subdomain ({@code subdomain}; some answers say {@code name}). */
  public record SubdomainJson(@Nullable String subdomain, @Nullable String name) {
    public @Nullable String value() {
      return subdomain != null && !subdomain.isBlank() ? subdomain : (name != null && !name.isBlank() ? name : null);
    }
  }

  /** Whether a script is served on workers.dev. */
  public record ScriptSubdomainJson(@Nullable Boolean enabled,
      @Json(name = "previews_enabled") @Nullable Boolean previewsEnabled) {}

  /** A Worker custom domain. */
  public record DomainJson(@Nullable String id, @Nullable String hostname, @Nullable String service,
      @Json(name = "zone_id") @Nullable String zoneId, @Json(name = "zone_name") @Nullable String zoneName) {}

  /** A Worker route. */
  public record RouteJson(@Nullable String id, @Nullable String pattern, @Nullable String script) {}

  /** An object of which only the id matters (a created notification policy, a deleted zone). */
  public record IdJson(@Nullable String id) {}

  /** A notification policy. */
  public record NotificationPolicyJson(@Nullable String id, @Nullable String name,
      @Json(name = "alert_type") @Nullable String alertType, @Nullable Boolean enabled) {}

  /** The answer of domain search and domain check: {@code {domains[]}}. */
  public record DomainListJson(@Nullable List<QuoteJson> domains) {
    public List<QuoteJson> domainList() {
      return list(domains);
    }
  }

  /** Availability and price of one name. */
  public record QuoteJson(@Nullable String name, @Nullable Boolean registrable, @Nullable PricingJson pricing,
      @Nullable String tier, @Nullable String reason) {}

  /** {@code {currency, registration_cost, renewal_cost}}, the costs as decimal strings. */
  public record PricingJson(@Nullable String currency, @Json(name = "registration_cost") @Nullable String registrationCost,
      @Json(name = "renewal_cost") @Nullable String renewalCost) {}

  /** A registration workflow. */
  public record WorkflowJson(@Nullable String state, @Nullable Boolean completed, @Nullable LinksJson links,
      @Nullable Map<String, Object> context, @Nullable WorkflowErrorJson error,
      @Json(name = "updated_at") @Nullable Instant updatedAt) {}

  /** {@code links.self}. */
  public record LinksJson(@Json(name = "self") @Nullable String self) {}

  /** {@code error{code, message}} of a failed workflow. */
  public record WorkflowErrorJson(@Nullable String code, @Nullable String message) {}

  /** A registered domain. */
  public record RegistrationJson(@Json(name = "domain_name") @Nullable String domainName, @Nullable String status,
      @Json(name = "auto_renew") @Nullable Boolean autoRenew, @Json(name = "created_at") @Nullable Instant createdAt,
      @Json(name = "expires_at") @Nullable Instant expiresAt) {}

  // ---- adapters -------------------------------------------------------------------------------

  /** Instants, messages that may be bare strings, and token values that may be bare strings. */
  private static final class Adapters implements JsonAdapter.Factory {
    @Override
    public @Nullable JsonAdapter<?> create(Type type, Set<? extends Annotation> annotations, Moshi moshi) {
      if (!annotations.isEmpty()) {
        return null;
      }
      if (type == Instant.class) {
        return new InstantAdapter().nullSafe();
      }
      if (type == Message.class) {
        JsonAdapter<Message> object = moshi.nextAdapter(this, type, annotations);
        return new StringOr<>(object, s -> new Message(0, s, null, null, null)).nullSafe();
      }
      if (type == TokenValue.class) {
        JsonAdapter<TokenValue> object = moshi.nextAdapter(this, type, annotations);
        return new StringOr<>(object, TokenValue::new).nullSafe();
      }
      return null;
    }
  }

  /** Reads a bare string as {@code fromString} says, anything else with the record's own adapter. */
  private static final class StringOr<T> extends JsonAdapter<T> {
    private final JsonAdapter<T> object;
    private final java.util.function.Function<String, T> fromString;

    StringOr(JsonAdapter<T> object, java.util.function.Function<String, T> fromString) {
      this.object = object;
      this.fromString = fromString;
    }

    @Override
    public @Nullable T fromJson(JsonReader reader) throws IOException {
      if (reader.peek() == JsonReader.Token.STRING) {
        return fromString.apply(reader.nextString());
      }
      return object.fromJson(reader);
    }

    @Override
    public void toJson(JsonWriter writer, @Nullable T value) throws IOException {
      object.toJson(writer, value);
    }
  }

  /** RFC 3339 timestamps; an unreadable one is read as absent rather than failing the whole answer. */
  private static final class InstantAdapter extends JsonAdapter<Instant> {
    @Override
    public @Nullable Instant fromJson(JsonReader reader) throws IOException {
      if (reader.peek() != JsonReader.Token.STRING) {
        reader.skipValue();
        return null;
      }
      String s = reader.nextString().trim();
      if (s.isEmpty()) {
        return null;
      }
      return Timestamps.parse(s);
    }

    @Override
    public void toJson(JsonWriter writer, @Nullable Instant value) throws IOException {
      if (value == null) {
        writer.nullValue();
      } else {
        writer.value(timestamp(value));
      }
    }
  }
}
