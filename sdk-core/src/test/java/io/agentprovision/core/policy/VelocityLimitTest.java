package io.agentprovision.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentId;
import io.agentprovision.core.InvalidRequestException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class VelocityLimitTest {
  @Test
  void keys_nameTheActionWindowAndScope() {
    assertThat(VelocityLimit.perDay(VelocityAction.CREATE_DOMAIN, 3).perAgent().key())
        .isEqualTo("create_domain/1d/per-agent");
    assertThat(VelocityLimit.perHour(VelocityAction.CREATE_TOKEN, 10).perPrincipal().key())
        .isEqualTo("create_token/1h/per-principal");
    assertThat(VelocityLimit.within(VelocityAction.CREATE_ACCOUNT, 1, Duration.ofMinutes(90)).key())
        .isEqualTo("create_account/90m/host");
  }

  @Test
  void buckets_separateAgentsPeopleOrNobody() {
    AgentId a = AgentId.of("agent-a");
    VelocityLimit d = VelocityLimit.perDay(VelocityAction.CREATE_DOMAIN, 3);

    assertThat(d.bucket(a, "iss|ada")).isEqualTo("host");
    assertThat(d.perAgent().bucket(a, "iss|ada")).isEqualTo("agent=agent-a");
    assertThat(d.perPrincipal().bucket(a, "iss|ada")).isEqualTo("principal=iss|ada");
    assertThat(d.perPrincipal().bucket(a, null)).isNull();
  }

  @Test
  void badValues_areRefusedWithTheFix() {
    assertThatThrownBy(() -> VelocityLimit.perDay(VelocityAction.CREATE_DOMAIN, -1))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("max"));
    assertThatThrownBy(() -> VelocityLimit.within(VelocityAction.CREATE_DOMAIN, 1, Duration.ofSeconds(10)))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("window"));
  }

  @Test
  void aPolicy_holdsOneLimitPerKey_andRaisingOrRemovingOneLoosensIt() {
    VelocityLimit three = VelocityLimit.perDay(VelocityAction.CREATE_DOMAIN, 3).perAgent();
    SpendPolicy p = SpendPolicy.builder().velocity(three).build();

    assertThatThrownBy(() -> p.toBuilder().velocity(three.withMax(5)))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("velocity"));
    assertThat(p.velocityLimitsFor(VelocityAction.CREATE_DOMAIN)).containsExactly(three);
    assertThat(p.velocityLimitsFor(VelocityAction.CREATE_TOKEN)).isEmpty();
    assertThat(p.toBuilder().replaceVelocityLimits(java.util.List.of(three.withMax(2))).build().loosens(p)).isEmpty();
    assertThat(p.toBuilder().replaceVelocityLimits(java.util.List.of(three.withMax(5))).build().loosens(p))
        .extracting(Loosening::aspect, Loosening::description)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(Loosening.Aspect.VELOCITY_LIMIT_RAISED,
            "raises velocity limit create_domain/1d/per-agent from 3 to 5"));
    assertThat(p.toBuilder().replaceVelocityLimits(java.util.List.of()).build().loosens(p))
        .extracting(Loosening::aspect).containsExactly(Loosening.Aspect.VELOCITY_LIMIT_REMOVED);
  }
}
