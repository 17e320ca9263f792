package io.agentprovision.core.internal.engine;

import io.agentprovision.core.DomainNames;
import io.agentprovision.core.FailureAction;
import io.agentprovision.core.IdGenerator;
import io.agentprovision.core.Sleeper;
import io.agentprovision.core.policy.SpendPolicy;
import io.agentprovision.core.spi.ApprovalGate;
import io.agentprovision.core.spi.AuditLog;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.Deployer;
import io.agentprovision.core.spi.IdentityProvider;
import io.agentprovision.core.spi.Orchestrator;
import io.agentprovision.core.spi.ProvisioningListener;
import io.agentprovision.core.spi.RunJournal;
import io.agentprovision.core.spi.SpendLedger;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicReference;

/** Everything the engine runs with, assembled by {@code AgentProvisioner.Builder}. */
public record EngineConfig(Orchestrator orchestrator, Map<String, Deployer> deployers, IdentityProvider identity,
    AtomicReference<SpendPolicy> policy, SpendLedger ledger, ApprovalGate approvals, AuditLog audit,
    CredentialVault vault, RunJournal journal, List<ProvisioningListener> listeners, Clock clock, Sleeper sleeper,
    IdGenerator ids, ExecutorService stepExecutor, ExecutorService runExecutor, Duration stepTimeout,
    Duration approvalTimeout, FailureAction failureAction, String domainService, DomainNames domainNames) {}
