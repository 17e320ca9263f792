package io.agentprovision.core.internal.vault;

import io.agentprovision.core.Secret;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.KeyProvider;
import io.agentprovision.core.vault.VaultEntry;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

/**
 * A process writing to a shared vault file, for {@link EncryptedFileVaultAcrossProcessesTest}:
 * {@code <file> <name> <count>} puts {@code <name>/<i>} and replaces {@code shared} four times for each i,
 * and prints {@code put <i>} once those puts returned; {@code count} 0 goes on until killed.
 */
public final class VaultWriterMain {
  private VaultWriterMain() {}

  public static void main(String[] args) {
    CredentialVault v = CredentialVault.encryptedFile(Path.of(args[0]), KeyProvider.of("k1", EncryptedFileVaultTest.KEY_1));
    String name = args[1];
    int count = Integer.parseInt(args[2]);
    for (int i = 0; count == 0 || i < count; i++) {
      v.put(new VaultEntry(name + "/" + i, Secret.of("secret-" + name + "-" + i), Map.of(),
          Instant.parse("2026-11-02T09:00:00Z"), null));
      for (int r = 0; r < 4; r++) { // dead lines four times faster than live ones: compactions
        v.put(new VaultEntry("shared", Secret.of(name + "-" + i), Map.of(), Instant.parse("2026-11-02T09:00:00Z"), null));
      }
      System.out.println("put " + i);
      System.out.flush();
    }
    System.out.println("done");
  }
}
