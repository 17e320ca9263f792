package io.agentprovision.testing.contract;

import io.agentprovision.core.spi.VelocityStore;
import java.nio.file.Path;
import java.util.IdentityHashMap;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;

/**
 * The velocity store contract on files: a restart is a new store over the same directory, and the
 * second host of the race another instance over it (one JVM; the OS file lock that serializes
 * processes is the spend ledger's, tested across processes in sdk-core).
 */
class FileVelocityStoreContractTest extends VelocityStoreContract {
  @TempDir
  Path tmp;

  private final Map<VelocityStore, Path> dirs = new IdentityHashMap<>();
  private int n;

  @Override
  protected VelocityStore newStore() {
    Path dir = tmp.resolve("velocity-" + (++n));
    VelocityStore s = VelocityStore.file(dir);
    dirs.put(s, dir);
    return s;
  }

  @Override
  protected VelocityStore reopen(VelocityStore store) {
    Path dir = dirs.get(store);
    VelocityStore s = VelocityStore.file(dir);
    dirs.put(s, dir);
    return s;
  }
}
