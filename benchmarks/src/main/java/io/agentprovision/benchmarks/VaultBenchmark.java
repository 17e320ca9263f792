package io.agentprovision.benchmarks;

import io.agentprovision.core.Secret;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.KeyProvider;
import io.agentprovision.core.vault.VaultEntry;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code CredentialVault.encryptedFile}: one {@code put} (seal under AES-256-GCM, then append one
 * line under the file's lock and force it; every so many puts, a compaction rewrites the file with
 * its live lines) and one {@code get} (look at the file's stamp, open one record) in a vault of
 * {@code entries} deploy tokens. {@code put} replaces an existing entry, so the vault keeps its size
 * and the compactions' cost is in the figure. Bound by the disk's fsync; see {@link BenchFiles}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class VaultBenchmark {
  private static final Instant STORED = Instant.parse("2026-11-22T12:00:00Z");

  /** A vault file of {@code entries} tokens under one key. */
  @State(Scope.Benchmark)
  public static class Vault {
    @Param({"300"})
    public int entries;

    Path dir = Path.of("");
    CredentialVault vault = CredentialVault.inMemory();
    VaultEntry[] stored = new VaultEntry[0];
    int next;

    @Setup(Level.Trial)
    public void fill() {
      SecureRandom random = new SecureRandom();
      byte[] key = new byte[32];
      random.nextBytes(key);
      dir = BenchFiles.scratch("vault");
      vault = CredentialVault.encryptedFile(dir.resolve("vault.json"), KeyProvider.of("k1", key));
      stored = new VaultEntry[entries];
      for (int i = 0; i < entries; i++) {
        byte[] token = new byte[30];
        random.nextBytes(token);
        stored[i] = new VaultEntry("run_" + i + "/cloudflare/deploy-token", Secret.of(HexFormat.of().formatHex(token)),
            Map.of("provider", "cloudflare", "account_id", "acc_" + i, "token_id", "tok_" + i,
                "permissions", "Workers Scripts Write,Workers Routes Write,Zone Read"),
            STORED, STORED.plusSeconds(7 * 24 * 3600));
        vault.put(stored[i]);
      }
    }

    @TearDown(Level.Trial)
    public void delete() {
      BenchFiles.delete(dir);
    }

    VaultEntry nextEntry() {
      VaultEntry e = stored[next];
      next = (next + 1) % stored.length;
      return e;
    }
  }

  @Benchmark
  public void put(Vault v) {
    v.vault.put(v.nextEntry());
  }

  @Benchmark
  public VaultEntry get(Vault v) {
    return v.vault.get(v.nextEntry().key()).orElseThrow();
  }
}
