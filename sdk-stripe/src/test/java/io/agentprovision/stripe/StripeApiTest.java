package io.agentprovision.stripe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.http.ResiliencePolicy;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class StripeApiTest {
  private static final Secret KEY = Secret.of("sk_test_123");

  @Test
  void build_withDefaults_pointsAtStripeAndNeverShowsTheKey() {
    StripeApi api = StripeApi.builder().apiKey(KEY).build();

    assertThat(api.apiBase()).isEqualTo("https://api.stripe.com");
    assertThat(api.maxNetworkRetries()).isEqualTo(StripeApi.DEFAULT_MAX_NETWORK_RETRIES);
    assertThat(api.toString()).doesNotContain("sk_test_123");
  }

  @Test
  void apiBase_acceptsHttpsAndLoopbackHttpOnly() {
    assertThat(StripeApi.builder().apiKey(KEY).apiBase("http://127.0.0.1:8080/").build().apiBase())
        .isEqualTo("http://127.0.0.1:8080");
    assertThat(StripeApi.builder().apiKey(KEY).apiBase("https://stripe.internal.example").build().apiBase())
        .isEqualTo("https://stripe.internal.example");
    assertThatThrownBy(() -> StripeApi.builder().apiBase("http://stripe.example.com"))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("apiBase"));
    assertThatThrownBy(() -> StripeApi.builder().apiBase("https://api.stripe.com/v1"))
        .isInstanceOf(InvalidRequestException.class);
  }

  @Test
  void setters_refuseBadValuesNamingTheField() {
    assertThatThrownBy(() -> StripeApi.builder().apiKey(Secret.of("pk_test_123")))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
          assertThat(e.field()).isEqualTo("apiKey");
          assertThat(e.getMessage()).doesNotContain("pk_test_123");
        });
    assertThatThrownBy(() -> StripeApi.builder().provisioningVersion("preview"))
        .isInstanceOfSatisfying(InvalidRequestException.class,
            e -> assertThat(e.field()).isEqualTo("provisioningVersion"));
    assertThatThrownBy(() -> StripeApi.builder().maxNetworkRetries(11))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("maxNetworkRetries"));
    assertThatThrownBy(() -> StripeApi.builder().readTimeout(Duration.ZERO))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("readTimeout"));
    assertThatThrownBy(() -> StripeApi.builder().build())
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("apiKey"));
  }

  @Test
  void maxConcurrentRequests_isTheStripePolicysInFlightCap_32UnlessSet() {
    assertThat(StripeApi.builder().apiKey(KEY).build().resilience().maxConcurrentRequests())
        .isEqualTo(ResiliencePolicy.DEFAULT_MAX_CONCURRENT_REQUESTS).isEqualTo(32);
    StripeApi raised = StripeApi.builder().apiKey(KEY).maxConcurrentRequests(96).build();
    assertThat(raised.resilience().maxConcurrentRequests()).isEqualTo(96);
    assertThat(raised.toBuilder().build().resilience().maxConcurrentRequests()).isEqualTo(96);
    assertThatThrownBy(() -> StripeApi.builder().maxConcurrentRequests(0))
        .isInstanceOfSatisfying(InvalidRequestException.class,
            e -> assertThat(e.field()).isEqualTo("maxConcurrentRequests"));
  }
}
