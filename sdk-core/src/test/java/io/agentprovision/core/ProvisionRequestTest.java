package io.agentprovision.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ProvisionRequestTest {
  static final WorkerApp APP = WorkerApp.builder("my-app").module("index.js", "export default {}").build();

  static ProvisionRequest.Builder complete() {
    return ProvisionRequest.builder().agent(AgentId.of("coding-agent-7")).provider("cloudflare").app(APP);
  }

  @Test
  void build_withTheRequiredFields_appliesDefaults() {
    ProvisionRequest r = complete().build();

    assertThat(r.agent()).isEqualTo(AgentId.of("coding-agent-7"));
    assertThat(r.provider()).isEqualTo("cloudflare");
    assertThat(r.plan()).isNull();
    assertThat(r.domain()).isNull();
    assertThat(r.token()).isEqualTo(TokenSpec.leastPrivilege());
    assertThat(r.project()).as("defaults to the app's name").isEqualTo("my-app");
    assertThat(r.environment()).isEqualTo(ProvisionRequest.DEFAULT_ENVIRONMENT);
    assertThat(r.identityToken()).isNull();
    assertThat(r.runId()).isNull();
  }

  @Test
  void build_whenAgentIsMissing_namesIt() {
    assertThatThrownBy(() -> ProvisionRequest.builder().provider("cloudflare").app(APP).build())
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
          assertThat(e.field()).isEqualTo("agent");
          assertThat(e.problem()).isEqualTo("is missing");
          assertThat(e.fix()).contains("AgentId.of");
        });
  }

  @Test
  void build_whenProviderIsMissing_namesIt() {
    assertThatThrownBy(() -> ProvisionRequest.builder().agent(AgentId.of("a")).app(APP).build())
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("provider"));
  }

  @Test
  void build_whenAppIsMissing_namesIt() {
    assertThatThrownBy(() -> ProvisionRequest.builder().agent(AgentId.of("a")).provider("cloudflare").build())
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
          assertThat(e.field()).isEqualTo("app");
          assertThat(e.fix()).contains("WorkerApp.fromDirectory");
        });
  }

  @ParameterizedTest
  @ValueSource(strings = {"Cloudflare", "", "-cf", "cloud flare", "cf.com"})
  void provider_whenNotACatalogName_refuses(String name) {
    assertThatThrownBy(() -> ProvisionRequest.builder().provider(name))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("provider"));
  }

  @Test
  void setters_validateTheirField() {
    assertThat(complete().plan("workers:paid").build().plan()).isEqualTo("workers:paid");
    assertThat(complete().plan(null).build().plan()).isNull();
    assertThatThrownBy(() -> complete().plan("Workers Paid")).isInstanceOfSatisfying(InvalidRequestException.class,
        e -> assertThat(e.field()).isEqualTo("plan"));
    assertThatThrownBy(() -> complete().project("")).isInstanceOfSatisfying(InvalidRequestException.class,
        e -> assertThat(e.field()).isEqualTo("project"));
    assertThatThrownBy(() -> complete().environment("Prod")).isInstanceOfSatisfying(InvalidRequestException.class,
        e -> assertThat(e.field()).isEqualTo("environment"));
    assertThatThrownBy(() -> AgentId.of("bad agent")).isInstanceOfSatisfying(InvalidRequestException.class,
        e -> assertThat(e.field()).isEqualTo("agent"));
  }

  @Test
  void toBuilder_roundTrips() {
    ProvisionRequest r = complete()
        .plan("workers:paid")
        .domain(DomainRequest.query("my-app"))
        .token(TokenSpec.leastPrivilege().allowIps("203.0.113.0/24").ttl(Duration.ofDays(1)))
        .project("My Project 1")
        .environment("staging")
        .identityToken(Secret.of("eyJ.id.token"))
        .runId(RunId.of("run_7"))
        .build();

    ProvisionRequest copy = r.toBuilder().build();

    assertThat(copy.toString()).isEqualTo(r.toString());
    assertThat(copy.identityToken()).isSameAs(r.identityToken());
    assertThat(copy.project()).isEqualTo("My Project 1");
    assertThat(r.toString()).doesNotContain("eyJ.id.token");
  }
}
