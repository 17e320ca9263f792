package io.agentprovision.core.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.InvalidRequestException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The catalog rule for changing a resource's service, which both orchestrators apply. */
class ServiceOfferingTest {
  private static ServiceOffering service(String id, List<String> allowedUpdates) {
    return new ServiceOffering(id, "cloudflare", null, List.of(), ServiceOffering.KIND_PLAN, "project", Pricing.free(),
        Map.of(), allowedUpdates);
  }

  @Test
  void allowsUpdateTo_whenListed_isAllowed() {
    ServiceOffering free = service("workers:free", List.of("workers:paid"));

    assertThat(free.allowsUpdateTo("workers:paid")).isTrue();
    assertThat(free.allowsUpdateTo("workers:enterprise")).isFalse();
  }

  @Test
  void allowsUpdateTo_whenTheListIsEmpty_allowsNoChangeOfService() {
    ServiceOffering kv = service("kv", List.of());

    assertThat(kv.allowsUpdateTo("d1")).isFalse();
    assertThat(kv.allowsUpdateTo("kv")).isTrue(); // a change of configuration keeps the service
  }

  @Test
  void requireUpdateTo_whenNotAllowed_refusesNamingTheFieldAndTheChoices() {
    assertThatThrownBy(() -> service("workers:free", List.of("workers:paid")).requireUpdateTo("workers:enterprise"))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
          assertThat(e.field()).isEqualTo("newServiceId");
          assertThat(e.fix()).contains("workers:paid");
        });
    assertThatThrownBy(() -> service("kv", List.of()).requireUpdateTo("d1"))
        .isInstanceOfSatisfying(InvalidRequestException.class,
            e -> assertThat(e.problem()).contains("allows it no change of service"));
  }
}
