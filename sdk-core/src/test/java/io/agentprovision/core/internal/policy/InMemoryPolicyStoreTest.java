package io.agentprovision.core.internal.policy;

import io.agentprovision.core.spi.PolicyStore;

class InMemoryPolicyStoreTest extends PolicyStoreContract {
  @Override
  protected PolicyStore store() {
    return PolicyStore.inMemory();
  }

  /** In memory there is nothing to reopen: the same instance stands for the same store. */
  @Override
  protected PolicyStore reopen(PolicyStore store) {
    return store;
  }
}
