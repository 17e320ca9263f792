package io.agentprovision.core.internal.vault;

import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.vault.VaultEntry;
import java.util.ArrayList;
import java.util.Collections;
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
    Objects.requireNonNull(prefix, "prefix");
    // the keys starting with a prefix are one run of the sorted map, from the prefix on: read that run
    // alone, so that a run's look-up costs the same however many entries other runs have left
    List<String> out = new ArrayList<>();
    for (String k : entries.tailMap(prefix, true).keySet()) {
      if (!k.startsWith(prefix)) {
        break;
      }
      out.add(k);
    }
    return Collections.unmodifiableList(out);
  }

  @Override
  public String toString() {
    return "InMemoryVault{entries=" + entries.size() + "}";
  }
}
