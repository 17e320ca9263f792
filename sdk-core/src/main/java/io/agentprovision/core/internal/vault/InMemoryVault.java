package io.agentprovision.core.internal.vault;

import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.vault.VaultEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

/** {@link CredentialVault} in memory. */
public final class InMemoryVault implements CredentialVault {
  private final ConcurrentSkipListMap<String, VaultEntry> entries = new ConcurrentSkipListMap<>();

  @Override
  public void put(VaultEntry entry) {
    Objects.requireNonNull(entry, "entry");
    entries.put(entry.key(), entry);
  }

  @Override
  public Optional<VaultEntry> get(String key) {
    return Optional.ofNullable(entries.get(Objects.requireNonNull(key, "key")));
  }

  @Override
  public boolean delete(String key) {
    return entries.remove(Objects.requireNonNull(key, "key")) != null;
  }

  @Override
  public List<String> keys(String prefix) {
    // the keys are sorted: those with the prefix are one run of them, found without looking at the others
    List<String> out = new ArrayList<>();
    for (String k : entries.tailMap(Objects.requireNonNull(prefix, "prefix"), true).keySet()) {
      if (!k.startsWith(prefix)) {
        break;
      }
      out.add(k);
    }
    return out;
  }

  @Override
  public String toString() {
    return "InMemoryVault{entries=" + entries.size() + "}";
  }
}
