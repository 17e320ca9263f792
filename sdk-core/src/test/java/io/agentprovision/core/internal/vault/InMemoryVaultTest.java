package io.agentprovision.core.internal.vault;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.Secret;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.vault.VaultEntry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class InMemoryVaultTest extends CredentialVaultContract {
  @Override
  protected CredentialVault vault() {
    return CredentialVault.inMemory();
  }

  /**
   * The vault reads only the sorted run of keys that start with a prefix; it must find exactly the
   * keys a scan of every key finds, sorted, including neighbours such as {@code run_1/} and
   * {@code run_10/}, and characters at the top of the range (U+FFFF, surrogates).
   */
  @Test
  public void keys_areTheKeysAScanWouldFind_forRandomKeysAndPrefixes() {
    CredentialVault v = vault();
    Random random = new Random(16);
    String alphabet = "01_/ab\uffff\ud83d\ude00";
    TreeSet<String> all = new TreeSet<>();
    for (int i = 0; i < 3_000; i++) {
      String k = "run_" + random(random, alphabet, 1 + random.nextInt(6));
      all.add(k);
      v.put(new VaultEntry(k, Secret.of("s"), Map.of(), Instant.EPOCH, null));
    }
    List<String> prefixes = new ArrayList<>(List.of("", "run_", "run_1", "run_1/", "run_10", "\uffff", "z"));
    for (int i = 0; i < 2_000; i++) {
      prefixes.add(random.nextInt(4) == 0 ? random(random, alphabet, 1 + random.nextInt(3))
          : "run_" + random(random, alphabet, random.nextInt(4)));
    }
    for (String prefix : prefixes) {
      List<String> scanned = all.stream().filter(k -> k.startsWith(prefix)).toList();
      assertThat(v.keys(prefix)).as("keys(%s)", prefix).containsExactlyElementsOf(scanned);
    }
  }

  private static String random(Random random, String alphabet, int length) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < length; i++) {
      b.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return b.toString();
  }
}
