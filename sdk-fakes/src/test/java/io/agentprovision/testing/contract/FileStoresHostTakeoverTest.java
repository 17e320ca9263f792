package io.agentprovision.testing.contract;

import io.agentprovision.core.spi.AuditLog;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.KeyProvider;
import io.agentprovision.core.spi.RunJournal;
import io.agentprovision.core.spi.SpendLedger;
import io.agentprovision.testing.VirtualTime;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.io.TempDir;

/**
 * Host takeover over the file stores, shared by both hosts: the journal directory (leases in its
 * lease file), a JSON-lines audit log and an encrypted vault file; the ledger is in memory (there is
 * no file ledger).
 */
class FileStoresHostTakeoverTest extends HostTakeoverContract {
  @TempDir
  Path dir;

  @Override
  protected Stores newStores(VirtualTime time) {
    byte[] key = new byte[32];
    new java.security.SecureRandom().nextBytes(key);
    KeyProvider keys = KeyProvider.fromBase64("k1", Base64.getEncoder().encodeToString(key));
    return new Stores(RunJournal.directory(dir.resolve("runs")), SpendLedger.inMemory(time),
        AuditLog.jsonl(dir.resolve("audit.jsonl")), CredentialVault.encryptedFile(dir.resolve("vault.bin"), keys));
  }
}
