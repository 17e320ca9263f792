package io.agentprovision.stripe.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.stripe.Stripe;
import com.stripe.net.HttpClient;
import io.agentprovision.core.Secret;
import io.agentprovision.core.http.RetryObserver;
import io.agentprovision.stripe.StripeApi;
import java.lang.reflect.Field;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.QueueDispatcher;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The user-agent headers of Stripe calls, which the transport builds once and keeps: every request
 * carries exactly what stripe-java would build for it at that moment, and a change of stripe-java's
 * app info or telemetry setting shows in the very next request.
 */
class StripeUserAgentWireTest {
  private static final RetryObserver QUIET = (attempt, delay, reason) -> { };
  private static final String ELIGIBLE = "{\"object\":\"v2.provisioning.eligibility\",\"is_eligible\":true}";

  private MockWebServer server;
  private StripeCalls calls;
  private boolean telemetry;
  private Map<String, String> appInfo;

  /** stripe-java's own builders, called fresh: what each request must carry. */
  private abstract static class Fresh extends HttpClient {
    static String client() {
      return buildXStripeClientUserAgentString();
    }

    static String v2UserAgent() throws Exception {
      return userAgent(com.stripe.net.ApiMode.V2);
    }

    static String userAgent(com.stripe.net.ApiMode mode) throws Exception {
      return com.stripe.net.HttpClient.buildUserAgentString(com.stripe.net.StripeRequest.create(
          com.stripe.net.ApiResource.RequestMethod.GET, "https://api.stripe.com/v2/x", Map.of(),
          com.stripe.net.RequestOptions.builder().setApiKey("sk_test_ua").build(), mode));
    }
  }

  @BeforeEach
  void start() throws Exception {
    telemetry = Stripe.enableTelemetry;
    appInfo = Stripe.getAppInfo() == null ? null : new HashMap<>(Stripe.getAppInfo());
    server = new MockWebServer();
    QueueDispatcher dispatcher = new QueueDispatcher();
    dispatcher.setFailFast(true);
    server.setDispatcher(dispatcher);
    server.start();
    String base = server.url("/").toString();
    calls = new StripeCalls(StripeApi.builder().apiKey(Secret.of("sk_test_ua")).apiBase(base.substring(0,
        base.length() - 1)).maxNetworkRetries(0).build().client());
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
    Stripe.enableTelemetry = telemetry;
    // stripe-java has no way to unset its app info: put back what was there before this test
    Field f = Stripe.class.getDeclaredField("appInfo");
    f.setAccessible(true);
    f.set(null, appInfo);
  }

  private RecordedRequest call() throws Exception {
    server.enqueue(new MockResponse.Builder().code(200).setHeader("Content-Type", "application/json")
        .body(ELIGIBLE).build());
    calls.get("eligibility", "/v2/provisioning/eligibility", Map.of(), "2026-04-22.preview", QUIET,
        Map.class);
    RecordedRequest r = server.takeRequest(5, TimeUnit.SECONDS);
    assertThat(r).as("the request").isNotNull();
    return r;
  }

  @Test
  void everyRequest_carriesWhatStripeJavaBuildsForIt() throws Exception {
    for (int i = 0; i < 3; i++) {
      RecordedRequest r = call();
      assertThat(r.getHeaders().get("X-Stripe-Client-User-Agent")).isEqualTo(Fresh.client());
      assertThat(r.getHeaders().get("User-Agent")).isEqualTo(Fresh.v2UserAgent());
    }
  }

  @Test
  void v1AndV2Calls_interleaved_eachCarriesItsOwnModesUserAgent() throws Exception {
    String v1 = Fresh.userAgent(com.stripe.net.ApiMode.V1);
    String v2 = Fresh.v2UserAgent();
    assertThat(v1).isNotEqualTo(v2);
    for (int i = 0; i < 2; i++) {
      server.enqueue(new MockResponse.Builder().code(200).setHeader("Content-Type", "application/json")
          .body("{\"id\":\"cus_1\",\"object\":\"customer\"}").build());
      calls.postWithoutAnswer("customer", "/v1/customers", Map.of("description", "ua"), "key-" + i,
          "2026-04-22.preview", QUIET);
      RecordedRequest form = server.takeRequest(5, TimeUnit.SECONDS);
      assertThat(form.getHeaders().get("User-Agent")).isEqualTo(v1);
      assertThat(call().getHeaders().get("User-Agent")).isEqualTo(v2);
    }
  }

  @Test
  void telemetryTurnedOff_theNextRequestSaysSo() throws Exception {
    Stripe.enableTelemetry = true;
    String on = call().getHeaders().get("X-Stripe-Client-User-Agent");
    assertThat(on).contains("\"platform\"");
    Stripe.enableTelemetry = false;
    String off = call().getHeaders().get("X-Stripe-Client-User-Agent");
    assertThat(off).isEqualTo(Fresh.client()).doesNotContain("\"platform\"");
  }

  @Test
  void appInfoSetOrChanged_theNextRequestCarriesIt() throws Exception {
    call();
    Stripe.setAppInfo("fleet-host", "1.2.3");
    RecordedRequest first = call();
    assertThat(first.getHeaders().get("User-Agent")).contains("fleet-host/1.2.3").isEqualTo(Fresh.v2UserAgent());
    assertThat(first.getHeaders().get("X-Stripe-Client-User-Agent")).isEqualTo(Fresh.client());
    // stripe-java changes the same map in place: still seen
    Stripe.setAppInfo("fleet-host", "1.2.4");
    RecordedRequest second = call();
    assertThat(second.getHeaders().get("User-Agent")).contains("fleet-host/1.2.4").isEqualTo(Fresh.v2UserAgent());
    assertThat(second.getHeaders().get("X-Stripe-Client-User-Agent")).contains("1.2.4").isEqualTo(Fresh.client());
  }
}
