package io.agentprovision.core.internal.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.AgentProvisionException;
import io.agentprovision.core.policy.PolicyChange;
import io.agentprovision.core.spi.PolicyStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilePolicyStoreTest extends PolicyStoreContract {
  @TempDir
  Path dir;

  Path file() {
    return dir.resolve("state").resolve("policy.jsonl");
  }

  @Override
  protected PolicyStore store() {
    return PolicyStore.file(file());
  }

  @Override
  protected PolicyStore reopen(PolicyStore store) {
    return PolicyStore.file(file());
  }

  @Test
  void aLineCutShortByACrash_isNotAChange_andTheNextWriterDropsIt() throws Exception {
    PolicyStore s = store();
    PolicyChange v1 = s.seed(FIRST, PolicyChange.CONFIGURATION, "initial", T0);
    Files.writeString(file(), "{\"after\":{\"alert_at\":[5", StandardOpenOption.APPEND);

    assertThat(reopen(s).history()).containsExactly(v1);
    assertThat(reopen(s).append(v1.next(SECOND, "coding-agent-7", null, "tighter", T0))).isTrue();
    assertThat(reopen(s).history()).hasSize(2);
  }

  @Test
  void anEditedOrReorderedFile_isRefusedWithTheFileAndTheChange() throws Exception {
    PolicyStore s = store();
    PolicyChange v1 = s.seed(FIRST, PolicyChange.CONFIGURATION, "initial", T0);
    s.append(v1.next(SECOND, "coding-agent-7", null, "tighter", T0));
    java.util.List<String> lines = Files.readAllLines(file());
    Files.write(file(), java.util.List.of(lines.get(1), lines.get(0)));

    assertThatThrownBy(() -> PolicyStore.file(file())).isInstanceOf(AgentProvisionException.class)
        .hasMessageContaining(file().toString()).hasMessageContaining("change 1");
  }

  /** A store keeps what it parsed only while the file's bytes are the same: another's change, a cut line, an edit are seen. */
  @Test
  void aStoreThatReadTheFile_seesEveryChangeMadeSince() throws Exception {
    PolicyStore s = store();
    PolicyChange v1 = s.seed(FIRST, PolicyChange.CONFIGURATION, "initial", T0);
    assertThat(s.current()).contains(v1);
    PolicyChange v2 = v1.next(SECOND, "coding-agent-7", null, "tighter", T0);
    assertThat(reopen(s).append(v2)).isTrue();

    assertThat(s.current()).contains(v2);
    assertThat(s.history()).containsExactly(v1, v2);
    assertThat(s.append(v2)).as("the version check sees the other store's change").isFalse();

    Files.writeString(file(), "{\"after\":{\"alert_at\":[5", StandardOpenOption.APPEND);
    assertThat(s.history()).containsExactly(v1, v2);
    PolicyChange v3 = v2.next(FIRST, "coding-agent-7", null, "looser", T0);
    assertThat(s.append(v3)).as("the cut line is dropped before the append").isTrue();
    assertThat(reopen(s).history()).containsExactly(v1, v2, v3);

    java.util.List<String> lines = Files.readAllLines(file());
    Files.write(file(), java.util.List.of(lines.get(1), lines.get(0), lines.get(2)));
    assertThatThrownBy(s::history).isInstanceOf(AgentProvisionException.class).hasMessageContaining("change 1");
  }

  /**
   * A store answers from what it parsed while the file keeps its inode, length and modification
   * time; another store's append and an edit in place to the same length are seen all the same.
   */
  @Test
  void aStoreAnsweringFromWhatItParsed_seesAnotherStoresAppendAndAnEditInPlace() throws Exception {
    PolicyStore s = store();
    PolicyChange v1 = s.seed(FIRST, PolicyChange.CONFIGURATION, "initial", T0);
    PolicyChange v2 = v1.next(SECOND, "coding-agent-7", null, "tighter", T0);
    assertThat(s.append(v2)).isTrue();
    java.nio.file.attribute.FileTime old = java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 3_600_000);
    Files.setLastModifiedTime(file(), old); // settled: what the store parses next is kept with the file's stamp
    assertThat(s.current()).contains(v2);
    assertThat(s.current()).as("answered from the stamp").contains(v2);

    PolicyChange v3 = v2.next(FIRST, "coding-agent-7", "ada@example.com", "looser, approved", T0.plusSeconds(60));
    assertThat(reopen(s).append(v3)).isTrue();
    assertThat(s.current()).as("another store's append").contains(v3);
    assertThat(s.history()).containsExactly(v1, v2, v3);

    Files.setLastModifiedTime(file(), old);
    assertThat(s.history()).containsExactly(v1, v2, v3);
    java.util.List<String> lines = Files.readAllLines(file());
    byte[] reordered = String.join("\n", lines.get(0), lines.get(2), lines.get(1), "").getBytes(java.nio.charset.StandardCharsets.UTF_8);
    assertThat(reordered).hasSize((int) Files.size(file()));
    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file(), StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap(reordered), 0); // in place: the same inode and length
    }
    Files.setLastModifiedTime(file(), java.nio.file.attribute.FileTime.fromMillis(old.toMillis() + 1_000));
    assertThatThrownBy(s::current).isInstanceOf(AgentProvisionException.class).hasMessageContaining("change 2");
  }
}
