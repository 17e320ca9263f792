package io.agentprovision.testing.contract;

import io.agentprovision.core.spi.VelocityStore;

/** The velocity store contract in memory (no restart: its counts live in its instance). */
class InMemoryVelocityStoreContractTest extends VelocityStoreContract {
  @Override
  protected VelocityStore newStore() {
    return VelocityStore.inMemory();
  }

  @Override
  protected VelocityStore reopen(VelocityStore store) {
    return null;
  }
}
