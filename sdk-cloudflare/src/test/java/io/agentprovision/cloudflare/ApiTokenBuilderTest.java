package io.agentprovision.cloudflare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.InvalidRequestException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link ApiToken}'s builder: its defaults, the parts it refuses, and copies. */
class ApiTokenBuilderTest {
  private static final Instant T = Instant.parse("2026-11-02T09:00:00Z");
  private static final TokenPolicy WORKERS = TokenPolicy.allow("com.cloudflare.api.account.acct_1",
      List.of(new PermissionGroup("g1", "Workers Scripts Write", List.of(PermissionGroup.ACCOUNT_SCOPE))));

  @Test
  void builder_makesAnActiveTokenUsableFromAnywhere_untilToldOtherwise() {
    ApiToken bare = ApiToken.builder("tok_1", "my-app deploy").build();

    assertThat(bare.status()).isEqualTo("active");
    assertThat(bare.policies()).isEmpty();
    assertThat(bare.allowIps()).isEmpty();
    assertThat(bare.denyIps()).isEmpty();
    assertThat(bare.issuedOn()).isNull();
    assertThat(bare.expiresOn()).isNull();
    assertThat(bare).isEqualTo(new ApiToken("tok_1", "my-app deploy", "active", List.of(), List.of(), List.of(), null,
        null, null));
  }

  @Test
  void toBuilder_roundTrips_andDerivesARolledVariant() {
    ApiToken t = ApiToken.builder("tok_1", "my-app deploy").policy(WORKERS).allowIps(List.of("203.0.113.7/32"))
        .denyIps(List.of("198.51.100.0/24")).issuedOn(T).notBefore(T).expiresOn(T.plus(Duration.ofDays(7))).build();

    assertThat(t.permissionNames()).containsExactly("Workers Scripts Write");
    assertThat(t.toBuilder().build()).isEqualTo(t);
    ApiToken disabled = t.toBuilder().status("disabled").build();
    assertThat(disabled.status()).isEqualTo("disabled");
    assertThat(disabled.policies()).isEqualTo(t.policies());
  }

  @Test
  void builder_refusesWhatCannotBeAToken_namingTheField() {
    assertThatThrownBy(() -> ApiToken.builder(null, "n")).isInstanceOf(NullPointerException.class).hasMessage("id");
    assertThatThrownBy(() -> ApiToken.builder("tok_1", null)).isInstanceOf(NullPointerException.class)
        .hasMessage("name");
    assertThatThrownBy(() -> ApiToken.builder(" ", "n"))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("id"));
    assertThatThrownBy(() -> ApiToken.builder("tok_1", "n").status(""))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("status"));
    assertThatThrownBy(() -> ApiToken.builder("tok_1", "n").notBefore(T).expiresOn(T.minusSeconds(1)).build())
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("expiresOn"));
  }
}
