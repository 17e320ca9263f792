package io.agentprovision.testing.provider2;

import static org.assertj.core.api.Assertions.assertThat;

import com.squareup.moshi.JsonAdapter;
import com.squareup.moshi.Moshi;
import io.agentprovision.core.Money;
import io.agentprovision.core.Secret;
import io.agentprovision.core.protocol.ProtocolClient;
import io.agentprovision.core.protocol.ProtocolSignature;
import io.agentprovision.testing.VirtualTime;
import io.agentprovision.testing.protocol.InMemoryBackend;
import io.agentprovision.testing.protocol.InMemoryPaymentCharger;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import okhttp3.FormBody;
import okhttp3.Headers;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.Buffer;
import org.jspecify.annotations.Nullable;

/**
 * A client of the {@link IndependentProviderSimulator} over raw HTTP, as an orchestrator would be:
 * okhttp, bodies signed with {@link ProtocolSignature} at the virtual clock's time, {@code API-Version}
 * set, and bearer tokens and idempotency keys added where asked. Also holds the simulator's world
 * (virtual time, in-memory backend and charger) so tests can move time, issue payment tokens and
 * look at accounts.
 */
final class SimWire implements AutoCloseable {
  static final Secret SECRET = Secret.of("whsec_sim2_test_secret");
  static final String SELLER = "profile_cloudflare_sbx";
  static final MediaType JSON = MediaType.get("application/json; charset=utf-8");

  private static final JsonAdapter<Object> ANY = new Moshi.Builder().build().adapter(Object.class);

  final VirtualTime time = VirtualTime.create();
  final InMemoryBackend backend = new InMemoryBackend();
  final InMemoryPaymentCharger charger = new InMemoryPaymentCharger(time);
  final IndependentProviderSimulator sim;
  final OkHttpClient http = new OkHttpClient.Builder().followRedirects(false).build();
  private final ProtocolSignature signature = ProtocolSignature.of(SECRET);

  private SimWire(Consumer<IndependentProviderSimulator.Builder> configure) {
    IndependentProviderSimulator.Builder b = IndependentProviderSimulator.wiredTo(backend, charger, SELLER)
        .clock(time).sharedSecret(SECRET);
    configure.accept(b);
    sim = b.start();
  }

  static SimWire start(Variant... variants) {
    return new SimWire(b -> b.variant(variants));
  }

  static SimWire start(Consumer<IndependentProviderSimulator.Builder> configure) {
    return new SimWire(configure);
  }

  @Override
  public void close() {
    sim.close();
    http.dispatcher().executorService().shutdown();
    http.connectionPool().evictAll();
  }

  /** The SDK's own client, pointed at the simulator and signing with its secret, on virtual time. */
  ProtocolClient protocolClient() {
    return ProtocolClient.builder().provider("cloudflare").baseUrl(sim.baseUrl()).sharedSecret(SECRET).clock(time)
        .sleeper(time).build();
  }

  // ---------------------------------------------------------------- the answer

  /** What came back: status, the JSON object (empty when none), headers and the raw text. */
  record Answer(int code, Map<String, Object> json, Headers headers, String text) {
    @SuppressWarnings("unchecked")
    @Nullable Object at(String... path) {
      Object cur = json;
      for (String p : path) {
        if (cur instanceof Map<?, ?> m) {
          cur = m.get(p);
        } else if (cur instanceof List<?> l) {
          cur = l.get(Integer.parseInt(p));
        } else {
          return null;
        }
      }
      return cur;
    }

    @Nullable String str(String... path) {
      Object v = at(path);
      return v == null ? null : String.valueOf(v);
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> map(String... path) {
      return (Map<String, Object>) at(path);
    }

    @SuppressWarnings("unchecked")
    List<Object> list(String... path) {
      return (List<Object>) at(path);
    }

    /** The {@code error.code} of a {@code {status:"error"}} or {@code {error:{…}}} answer. */
    @Nullable String errorCode() {
      return str("error", "code");
    }
  }

  // ---------------------------------------------------------------- signed calls

  Answer get(String path) {
    return get(path, null);
  }

  Answer get(String path, @Nullable Secret bearer) {
    Request.Builder rb = new Request.Builder().url(url(path)).get();
    bearer(rb, bearer);
    return sign(rb, new byte[0], time.instant());
  }

  Answer post(String path, Map<String, Object> body) {
    return post(path, body, null, null);
  }

  Answer post(String path, Map<String, Object> body, @Nullable Secret bearer, @Nullable String idempotencyKey) {
    byte[] bytes = json(body).getBytes(StandardCharsets.UTF_8);
    Request.Builder rb = new Request.Builder().url(url(path)).post(RequestBody.create(bytes, JSON));
    bearer(rb, bearer);
    if (idempotencyKey != null) {
      rb.header("Idempotency-Key", idempotencyKey);
    }
    return sign(rb, bytes, time.instant());
  }

  /** A form POST to the token endpoint, signed as every protocol request is. */
  Answer token(Map<String, String> fields) {
    FormBody.Builder f = new FormBody.Builder();
    fields.forEach(f::add);
    FormBody form = f.build();
    Buffer buf = new Buffer();
    try {
      form.writeTo(buf);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    byte[] bytes = buf.readByteArray();
    Request.Builder rb = new Request.Builder().url(url("/oauth/token"))
        .post(RequestBody.create(bytes, form.contentType()));
    return sign(rb, bytes, time.instant());
  }

  /** Sends {@code rb} carrying {@code body}, signed at {@code at} with the shared secret. */
  Answer sign(Request.Builder rb, byte[] body, Instant at) {
    return send(rb.header(ProtocolSignature.HEADER, signature.sign(body, at))
        .header(ProtocolClient.API_VERSION_HEADER, "0.1d"));
  }

  /** Sends {@code rb} exactly as built: no signature or version added. */
  Answer send(Request.Builder rb) {
    try (Response r = http.newCall(rb.build()).execute()) {
      String text = r.body().string();
      Map<String, Object> json = Map.of();
      String type = r.header("Content-Type", "");
      if (type.startsWith("application/json") && !text.isBlank()) {
        json = parse(text);
      }
      return new Answer(r.code(), json, r.headers(), text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void bearer(Request.Builder rb, @Nullable Secret bearer) {
    if (bearer != null) {
      rb.header("Authorization", "Bearer " + bearer.reveal());
    }
  }

  String url(String path) {
    return sim.baseUrl() + path;
  }

  // ---------------------------------------------------------------- flows

  /** A new account through an account request answered with credentials; returns the bearer answer. */
  Answer newAccount(String email) {
    Answer a = post("/provisioning/account_requests", accountRequest(email, null));
    assertThat(a.code()).isEqualTo(200);
    assertThat(a.str("type")).isEqualTo("credentials");
    return a;
  }

  /** The access token of a new account. */
  Secret accessToken(String email) {
    return Secret.of(newAccount(email).str("credentials", "bearer", "access_token"));
  }

  Map<String, Object> accountRequest(String email, @Nullable String codeChallenge) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("id", "ar_" + UUID.randomUUID());
    body.put("email", email);
    body.put("name", "Ada Lovelace");
    body.put("country", "GB");
    body.put("kyc", Map.of("verified_fields", List.of("email")));
    body.put("scopes", List.of());
    body.put("client_capabilities", List.of("browser"));
    body.put("configuration", Map.of());
    body.put("confirmation_secret", "conf_" + UUID.randomUUID());
    body.put("expires_at", time.instant().plus(Duration.ofMinutes(15)).getEpochSecond());
    body.put("orchestrator", Map.of("type", "stripe", "stripe", Map.of("account", "acct_1", "organization", "org_1")));
    if (codeChallenge != null) {
      body.put("code_challenge", codeChallenge);
      body.put("code_challenge_method", "S256");
    }
    return body;
  }

  /** {@code POST /provisioning/resources} with a fresh idempotency key. */
  Answer create(Secret bearer, String serviceId, Map<String, Object> configuration, @Nullable Secret spt) {
    return create(bearer, serviceId, configuration, spt, "idem_" + UUID.randomUUID());
  }

  Answer create(Secret bearer, String serviceId, Map<String, Object> configuration, @Nullable Secret spt, String key) {
    return post("/provisioning/resources", createBody(serviceId, configuration, spt), bearer, key);
  }

  static Map<String, Object> createBody(String serviceId, Map<String, Object> configuration, @Nullable Secret spt) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("service_id", serviceId);
    body.put("configuration", configuration);
    if (spt != null) {
      body.put("payment_credentials", payment(spt));
    }
    body.put("project_id", "proj_1");
    body.put("orchestrator_resource_id", "ores_" + serviceId);
    body.put("environment", "production");
    return body;
  }

  static Map<String, Object> payment(Secret spt) {
    return Map.of("type", "stripe_payment_token", "stripe_payment_token", spt.reveal());
  }

  /** {@code POST /provisioning/resources/{id}/<action>} with a fresh idempotency key. */
  Answer action(Secret bearer, String id, String action, Map<String, Object> body) {
    return post("/provisioning/resources/" + id + "/" + action, body, bearer, "idem_" + UUID.randomUUID());
  }

  /** A payment token the simulator may charge once, up to {@code cap}, for ten minutes. */
  Secret spt(String cap) {
    return charger.issue(SELLER, Money.usd(cap), time.instant().plus(Duration.ofMinutes(10)));
  }

  /** A plan for the account so deployables may be created; returns the plan's resource id. */
  String freePlan(Secret bearer) {
    Answer a = create(bearer, "workers:free", Map.of(), null);
    assertThat(a.str("status")).isEqualTo("complete");
    return a.str("id");
  }

  static String s256(String verifier) {
    try {
      return Base64.getUrlEncoder().withoutPadding().encodeToString(
          MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static URI uri(String s) {
    return URI.create(s);
  }

  static String json(Object value) {
    return ANY.toJson(value);
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> parse(String text) {
    try {
      return (Map<String, Object>) ANY.fromJson(text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
