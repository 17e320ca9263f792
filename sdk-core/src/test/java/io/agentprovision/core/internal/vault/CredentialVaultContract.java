package io.agentprovision.core.internal.vault;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.Secret;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.vault.VaultEntry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What every {@link CredentialVault} must do; each store's test extends this. */
public abstract class CredentialVaultContract {
  static final Instant STORED = Instant.parse("2026-11-02T09:00:00Z");

  protected abstract CredentialVault vault();

  static VaultEntry entry(String key, String secret) {
    return new VaultEntry(key, Secret.of(secret), Map.of("provider", "cloudflare", "token_id", "tok_" + key.length()),
        STORED, STORED.plusSeconds(7 * 24 * 3600));
  }

  @Test
  public void get_afterPut_returnsTheEntry() {
    CredentialVault v = vault();
    v.put(entry("run_1/cloudflare/deploy-token", "cf-token-value"));

    VaultEntry e = v.get("run_1/cloudflare/deploy-token").orElseThrow();

    assertThat(e.key()).isEqualTo("run_1/cloudflare/deploy-token");
    assertThat(e.secret().matches("cf-token-value")).isTrue();
    assertThat(e.attributes()).containsExactlyInAnyOrderEntriesOf(Map.of("provider", "cloudflare", "token_id", "tok_29"));
    assertThat(e.storedAt()).isEqualTo(STORED);
    assertThat(e.expiresAt()).isEqualTo(STORED.plusSeconds(7 * 24 * 3600));
  }

  @Test
  public void get_whenAbsent_isEmpty() {
    assertThat(vault().get("nothing/here")).isEmpty();
  }

  @Test
  public void put_withoutExpiry_keepsNoExpiry() {
    CredentialVault v = vault();
    v.put(new VaultEntry("k", Secret.of("s"), Map.of(), STORED, null));

    assertThat(v.get("k").orElseThrow().expiresAt()).isNull();
  }

  @Test
  public void put_underAnExistingKey_replacesTheEntry() {
    CredentialVault v = vault();
    v.put(entry("a", "first"));
    v.put(entry("a", "second"));

    assertThat(v.get("a").orElseThrow().secret().matches("second")).isTrue();
    assertThat(v.keys("")).containsExactly("a");
  }

  @Test
  public void delete_removesOnceAndReportsWhetherThereWasOne() {
    CredentialVault v = vault();
    v.put(entry("a", "x"));

    assertThat(v.delete("a")).isTrue();
    assertThat(v.delete("a")).isFalse();
    assertThat(v.get("a")).isEmpty();
  }

  @Test
  public void keys_filtersByPrefixAndSorts() {
    CredentialVault v = vault();
    v.put(entry("run_2/cloudflare/token", "x"));
    v.put(entry("run_1/stripe/key", "x"));
    v.put(entry("run_1/cloudflare/token", "x"));

    assertThat(v.keys("run_1/")).containsExactly("run_1/cloudflare/token", "run_1/stripe/key");
    assertThat(v.keys("")).containsExactly("run_1/cloudflare/token", "run_1/stripe/key", "run_2/cloudflare/token");
    assertThat(v.keys("run_3")).isEmpty();
  }

  @Test
  public void put_fromManyThreads_losesNothing() throws Exception {
    CredentialVault v = vault();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> done = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      int thread = t;
      done.add(pool.submit(() -> {
        start.await();
        for (int i = 0; i < 10; i++) {
          v.put(entry("t" + thread + "/k" + i, "secret-" + thread + "-" + i));
        }
        return null;
      }));
    }
    start.countDown();
    for (Future<?> f : done) {
      f.get(60, TimeUnit.SECONDS);
    }
    pool.shutdown();

    assertThat(v.keys("")).hasSize(40);
    assertThat(v.get("t3/k9").orElseThrow().secret().matches("secret-3-9")).isTrue();
  }
}
