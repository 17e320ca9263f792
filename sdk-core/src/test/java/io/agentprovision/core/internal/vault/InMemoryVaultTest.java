package io.agentprovision.core.internal.vault;

import io.agentprovision.core.spi.CredentialVault;

class InMemoryVaultTest extends CredentialVaultContract {
  @Override
  protected CredentialVault vault() {
    return CredentialVault.inMemory();
  }
}
