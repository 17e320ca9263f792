package io.agentprovision.core.vault;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.Secret;
import io.agentprovision.core.spi.KeyProvider;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class VaultSealerNoncesTest {
  private static final byte[] KEY = new byte[32];

  @Test
  void sealsFromManyThreadsUnderOneKey_neverRepeatANonce_andEachOpens() throws Exception {
    // AES-GCM under one key with a repeated nonce leaks both plaintexts and the authentication key
    VaultSealer sealer = VaultSealer.of(KeyProvider.of("k1", KEY), "test");
    VaultEntry entry = new VaultEntry("stripe", Secret.of("sk_live_canary"), Map.of(), Instant.EPOCH, null);
    Set<String> nonces = ConcurrentHashMap.newKeySet();
    List<VaultSealer.Sealed> some = new ArrayList<>();
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      Thread th = new Thread(() -> {
        try {
          go.await();
        } catch (InterruptedException e) {
          return;
        }
        for (int i = 0; i < 2_000; i++) {
          VaultSealer.Sealed s = sealer.seal(entry);
          nonces.add(HexFormat.of().formatHex(s.nonce()));
          if (i == 0) {
            synchronized (some) {
              some.add(s);
            }
          }
        }
      });
      threads.add(th);
      th.start();
    }
    go.countDown();
    for (Thread th : threads) {
      th.join();
    }

    assertThat(nonces).hasSize(16_000).allSatisfy(n -> assertThat(n).hasSize(2 * VaultSealer.NONCE_BYTES));
    assertThat(some).hasSize(8).allSatisfy(s ->
        assertThat(sealer.open("stripe", s, null).secret().reveal()).isEqualTo("sk_live_canary"));
  }
}
