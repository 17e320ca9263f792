package io.agentprovision.testing;

import static io.agentprovision.testing.OrchestratorFixtures.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.agentprovision.core.ProviderException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.orchestration.AccessConfiguration;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.orchestration.ResourceState;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FakeOrchestratorCredentialsTest {
  private final OrchestratorFixtures f = new OrchestratorFixtures();
  private FakeOrchestrator orch;
  private ProviderAccount acct;
  private ResourceState workers;

  @BeforeEach
  void provisionWorkers() {
    orch = FakeOrchestrator.create();
    acct = f.link(orch);
    orch.provision(request(acct, "workers:free", Map.of(), null), f.ctx("plan"));
    workers = orch.provision(request(acct, "workers", Map.of(), null), f.ctx("workers"));
  }

  @Test
  void revealCredentials_whenRepeated_returnsSameApiTokenAndAccountId() {
    AccessConfiguration first = orch.revealCredentials(workers.ref(), f.ctx("reveal"));
    AccessConfiguration again = orch.revealCredentials(workers.ref(), f.ctx("reveal-2"));

    assertThat(first.values()).containsOnlyKeys("CLOUDFLARE_API_TOKEN", "CLOUDFLARE_ACCOUNT_ID");
    assertThat(first.value("CLOUDFLARE_ACCOUNT_ID").reveal()).isEqualTo(acct.accountId());
    assertThat(first.value("CLOUDFLARE_API_TOKEN").matches(again.value("CLOUDFLARE_API_TOKEN"))).isTrue();
    assertThat(first.generation()).isEqualTo(1).isEqualTo(again.generation());
    assertThat(first.created()).isEqualTo(f.time.instant());
    assertThat(first.toString()).doesNotContain(first.value("CLOUDFLARE_API_TOKEN").reveal());
  }

  @Test
  void rotateCredentials_makesNewGenerationAndRetiresOldValue() {
    Secret old = orch.revealCredentials(workers.ref(), f.ctx("reveal")).value("CLOUDFLARE_API_TOKEN");

    AccessConfiguration rotated = orch.rotateCredentials(workers.ref(), f.ctx("rotate"));
    AccessConfiguration revealed = orch.revealCredentials(workers.ref(), f.ctx("reveal"));

    assertThat(rotated.generation()).isEqualTo(2);
    assertThat(revealed.generation()).isEqualTo(2);
    assertThat(rotated.value("CLOUDFLARE_API_TOKEN").matches(old)).isFalse();
    assertThat(revealed.value("CLOUDFLARE_API_TOKEN").matches(rotated.value("CLOUDFLARE_API_TOKEN"))).isTrue();
    assertThat(orch.isCurrentCredential(old)).isFalse();
    assertThat(orch.isCurrentCredential(rotated.value("CLOUDFLARE_API_TOKEN"))).isTrue();
    assertThat(orch.resources().get(1).credentialGeneration()).isEqualTo(2);
  }

  @Test
  void rotateCredentials_whenRepeatedWithSameKey_rotatesOnce() {
    AccessConfiguration first = orch.rotateCredentials(workers.ref(), f.ctx("rotate"));
    AccessConfiguration again = orch.rotateCredentials(workers.ref(), f.ctx("rotate"));
    AccessConfiguration next = orch.rotateCredentials(workers.ref(), f.ctx("rotate-next"));

    assertThat(again.generation()).isEqualTo(first.generation());
    assertThat(next.generation()).isEqualTo(first.generation() + 1);
  }

  @Test
  void revealCredentials_whenResourceRemoved_refusesAndOldTokenIsDead() {
    Secret token = orch.revealCredentials(workers.ref(), f.ctx("reveal")).value("CLOUDFLARE_API_TOKEN");
    orch.remove(workers.ref(), f.ctx("rm"));

    Throwable t = catchThrowable(() -> orch.revealCredentials(workers.ref(), f.ctx("reveal")));

    assertThat(t).isInstanceOfSatisfying(ProviderException.class, e -> assertThat(e.code()).isEqualTo("invalid_state"));
    assertThat(orch.isCurrentCredential(token)).isFalse();
  }

  @Test
  void calls_recordEachSpiCallWithWhetherItHasSideEffects() {
    orch.revealCredentials(workers.ref(), f.ctx("reveal"));
    orch.resource(workers.ref(), f.ctx("read"));
    orch.rotateCredentials(workers.ref(), f.ctx("rotate"));

    assertThat(orch.calls()).extracting(FaultInjector.Call::method, FaultInjector.Call::sideEffect).containsExactly(
        org.assertj.core.api.Assertions.tuple("linkAccount", true),
        org.assertj.core.api.Assertions.tuple("provision", true),
        org.assertj.core.api.Assertions.tuple("provision", true),
        org.assertj.core.api.Assertions.tuple("revealCredentials", false),
        org.assertj.core.api.Assertions.tuple("resource", false),
        org.assertj.core.api.Assertions.tuple("rotateCredentials", true));
  }
}
