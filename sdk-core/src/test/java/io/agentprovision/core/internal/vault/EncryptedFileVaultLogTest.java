package io.agentprovision.core.internal.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.Secret;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.KeyProvider;
import io.agentprovision.core.vault.VaultEntry;
import io.agentprovision.core.vault.VaultException;
import io.agentprovision.core.vault.VaultException.Reason;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The version-2 file, a log: what a change writes does not grow with what the vault holds; another
 * instance's changes, a torn last line, a damaged or replayed line, a compaction under a reader, a
 * version-1 file, and a machine that stops in the middle of a change.
 */
class EncryptedFileVaultLogTest {
  static final byte[] KEY_1 = EncryptedFileVaultTest.KEY_1;
  static final byte[] KEY_2 = EncryptedFileVaultTest.KEY_2;
  static final Instant STORED = Instant.parse("2026-11-02T09:00:00Z");

  @TempDir
  Path dir;

  private Path file() {
    return dir.resolve("vault.bin");
  }

  private CredentialVault vault() {
    return CredentialVault.encryptedFile(file(), KeyProvider.of("k1", KEY_1));
  }

  static VaultEntry token(String name, String secret) {
    return new VaultEntry(name, Secret.of(secret), Map.of("provider", "cloudflare"), STORED, null);
  }

  private static String secret(CredentialVault v, String name) {
    return v.get(name).orElseThrow().secret().reveal();
  }

  private Object inode() throws Exception {
    return Files.readAttributes(file(), BasicFileAttributes.class).fileKey();
  }

  private static VaultException.Reason reasonOf(Throwable t) {
    return ((VaultException) t).reason();
  }

  /** A put into a vault of 300 entries writes as many bytes as into a vault of one, and does not replace the file. */
  @Test
  void put_afterThreeHundredEntries_appendsOneLineWhateverTheVaultHolds() throws Exception {
    CredentialVault v = vault();
    v.put(token("run_0000/cloudflare/deploy-token", "token-0000"));
    long before = Files.size(file());
    v.put(token("run_0001/cloudflare/deploy-token", "token-0001"));
    long small = Files.size(file()) - before;
    for (int i = 2; i < 300; i++) {
      v.put(token(String.format("run_%04d/cloudflare/deploy-token", i), String.format("token-%04d", i)));
    }
    Object inode = inode();
    byte[] was = Files.readAllBytes(file());

    v.put(token("run_0300/cloudflare/deploy-token", "token-0300"));

    byte[] now = Files.readAllBytes(file());
    assertThat(now.length - was.length).as("bytes the 301st put wrote").isEqualTo(small);
    assertThat(Arrays.equals(now, 0, was.length, was, 0, was.length)).as("what was there is left as it was").isTrue();
    assertThat(inode()).as("the file was appended to, not replaced").isEqualTo(inode);
    assertThat(vault().keys("")).hasSize(301);
    assertThat(secret(vault(), "run_0300/cloudflare/deploy-token")).isEqualTo("token-0300");
  }

  /** A reader that read the file before sees another instance's put, replacement and removal. */
  @Test
  void anotherInstancesPutReplaceAndRemove_areSeenByAReaderThatReadBefore() {
    CredentialVault reader = vault();
    CredentialVault writer = vault();
    writer.put(token("a", "first"));
    assertThat(secret(reader, "a")).isEqualTo("first");

    writer.put(token("a", "second"));
    writer.put(token("b", "bee"));
    assertThat(secret(reader, "a")).isEqualTo("second");
    assertThat(reader.keys("")).containsExactly("a", "b");

    writer.delete("a");
    assertThat(reader.get("a")).isEmpty();
    assertThat(reader.keys("")).containsExactly("b");
    reader.put(token("c", "sea"));
    assertThat(secret(writer, "c")).isEqualTo("sea");
    assertThat(writer.keys("")).containsExactly("b", "c");
  }

  /**
   * A machine that stops while a put appends leaves any prefix of its line (or zeros where the file
   * grew before its data reached the disk): the put never returned. The vault opens with every
   * earlier entry, and the next put cuts the torn bytes and appends after the last whole line.
   */
  @Test
  void machineStop_duringAnAppend_anyTornTail_keepsEveryEarlierEntry() throws Exception {
    CredentialVault v = vault();
    v.put(token("a", "aye"));
    v.put(token("b", "bee"));
    byte[] durable = Files.readAllBytes(file()); // forced: what the disk holds when the stop comes
    v.put(token("a", "replaced"));
    byte[] all = Files.readAllBytes(file());
    byte[] line = Arrays.copyOfRange(all, durable.length, all.length);
    assertThat(line[line.length - 1]).isEqualTo((byte) '\n');

    for (int cut = 0; cut < line.length; cut++) {
      byte[] torn = Arrays.copyOf(all, durable.length + cut);
      check(torn, "a prefix of " + cut + " bytes");
    }
    byte[] zeros = Arrays.copyOf(durable, durable.length + line.length);
    check(zeros, "zeros where the line was to be");

    Files.write(file(), all); // the whole line reached the disk: the put holds
    assertThat(secret(vault(), "a")).isEqualTo("replaced");
  }

  private void check(byte[] disk, String what) throws Exception {
    Files.write(file(), disk);
    CredentialVault after = vault();
    assertThat(secret(after, "a")).as(what).isEqualTo("aye");
    assertThat(after.keys("")).as(what).containsExactly("a", "b");

    after.put(token("c", "sea"));

    CredentialVault again = vault();
    assertThat(again.keys("")).as(what).containsExactly("a", "b", "c");
    assertThat(secret(again, "c")).as(what).isEqualTo("sea");
    assertThat(Files.readString(file())).as(what).endsWith("\n").doesNotContain("\u0000");
  }

  /**
   * A compaction forces its new file and then renames it over the old; a machine that stops before
   * the directory's force (owed to the provisioner's barrier) comes back with the old file or the
   * new, each whole: the vault as it was before the put or after it.
   */
  @Test
  void machineStop_beforeACompactionsRenameIsDurable_comesBackBeforeOrAfterThePutWhole() throws Exception {
    CredentialVault v = vault();
    v.put(token("b", "bee"));
    int i = 0;
    byte[] before;
    Object inode;
    do {
      before = Files.readAllBytes(file());
      inode = inode();
      v.put(token("a", "value-" + ++i));
    } while (inode().equals(inode));
    byte[] after = Files.readAllBytes(file());
    assertThat(after.length).as("compacted").isLessThan(before.length);

    Files.write(file(), before); // the rename lost
    assertThat(secret(vault(), "a")).isEqualTo("value-" + (i - 1));
    assertThat(secret(vault(), "b")).isEqualTo("bee");
    Files.write(file(), after);
    assertThat(secret(vault(), "a")).isEqualTo("value-" + i);
    assertThat(vault().keys("")).containsExactly("a", "b");
  }

  /** The torn tail of a put under way in another process is not read as a line, and is read once it ends. */
  @Test
  void aReader_meetingALineStillBeingWritten_readsItOnceItIsWhole() throws Exception {
    CredentialVault writer = vault();
    writer.put(token("a", "aye"));
    CredentialVault reader = vault();
    writer.put(token("b", "bee"));
    byte[] all = Files.readAllBytes(file());
    int lastLine = lastLineStart(all);
    Files.write(file(), Arrays.copyOf(all, all.length - 7)); // the line without its end, as being written

    assertThat(reader.keys("")).containsExactly("a");

    Files.write(file(), all);
    assertThat(reader.keys("")).containsExactly("a", "b");
    assertThat(secret(reader, "b")).isEqualTo("bee");
    assertThat(lastLine).isPositive();
  }

  private static int lastLineStart(byte[] all) {
    for (int i = all.length - 2; i >= 0; i--) {
      if (all[i] == '\n') {
        return i + 1;
      }
    }
    return 0;
  }

  /** A whole line altered (its check not made to match) is damage: every read and change refuses, naming the line. */
  @Test
  void aDamagedLineThatIsNotTheLast_refusesEveryReadAndChangeAsTampered() throws Exception {
    CredentialVault v = vault();
    v.put(token("a", "aye"));
    v.put(token("b", "bee"));
    v.put(token("c", "sea"));
    VaultFile f = VaultFile.read(file());
    int line = f.lastRecordOf("b");
    f.lines.set(line, f.lines.get(line).replace("\"name\":\"b\"", "\"name\":\"x\""));
    f.write();

    assertThatThrownBy(() -> vault().get("a")).satisfies(e -> assertThat(reasonOf(e)).isEqualTo(Reason.TAMPERED))
        .hasMessageContaining("line " + line);
    assertThatThrownBy(() -> v.get("c")).satisfies(e -> assertThat(reasonOf(e)).isEqualTo(Reason.TAMPERED));
    assertThatThrownBy(() -> v.put(token("d", "dee"))).satisfies(e -> assertThat(reasonOf(e)).isEqualTo(Reason.TAMPERED));
    assertThat(VaultFile.read(file()).lines).as("nothing appended after the damage").hasSize(f.lines.size());
  }

  /**
   * An earlier line appended again (a replaced secret put back, its check intact) repeats a nonce
   * the file holds: refused, not read as the entry's value.
   */
  @Test
  void anOldLineAppendedAgain_isRefusedAsTampered_notReadAsTheEntry() throws Exception {
    CredentialVault v = vault();
    v.put(token("a", "old-secret"));
    String old = VaultFile.read(file()).lines.get(2);
    v.put(token("a", "new-secret"));
    assertThat(secret(v, "a")).isEqualTo("new-secret");

    Files.writeString(file(), old + "\n", StandardOpenOption.APPEND);

    assertThatThrownBy(() -> v.get("a")).satisfies(e -> assertThat(reasonOf(e)).isEqualTo(Reason.TAMPERED))
        .hasMessageContaining("appended again");
    assertThatThrownBy(() -> vault().get("a")).satisfies(e -> assertThat(reasonOf(e)).isEqualTo(Reason.TAMPERED));
  }

  /** Two records' lines swapped: each still opens under its own name only, never as the other entry. */
  @Test
  void aRecordUnderAnotherName_orAMovedLine_neverOpensAnotherEntrysSecret() throws Exception {
    CredentialVault v = vault();
    v.put(token("run_1/admin-token", "admin"));
    v.put(token("run_1/deploy-token", "narrow"));
    VaultFile f = VaultFile.read(file());
    int admin = f.lastRecordOf("run_1/admin-token");
    int deploy = f.lastRecordOf("run_1/deploy-token");
    String a = f.lines.get(admin);
    f.lines.set(admin, f.lines.get(deploy));
    f.lines.set(deploy, a); // reordered: each record still under its own name
    f.write();

    assertThat(secret(vault(), "run_1/admin-token")).isEqualTo("admin");
    assertThat(secret(vault(), "run_1/deploy-token")).isEqualTo("narrow");
  }

  /**
   * Changes that replace entries again and again compact the file (a new file in its place) while
   * another instance reads it from another thread: the reader never fails, never goes back to an
   * older value, ends on the last, and the file stays bounded.
   */
  @Test
  void compaction_underAConcurrentReaderInAnotherInstance_isSeenWholeAndKeepsTheFileBounded() throws Exception {
    CredentialVault writer = vault();
    for (int i = 0; i < 10; i++) {
      writer.put(token("keep/" + i, "kept-" + i));
    }
    writer.put(token("a", "0"));
    CredentialVault reader = vault();
    AtomicBoolean done = new AtomicBoolean();
    ExecutorService pool = Executors.newSingleThreadExecutor();
    Future<Integer> reads = pool.submit(() -> {
      int last = 0;
      int n = 0;
      while (!done.get() || n == 0) {
        int seen = Integer.parseInt(secret(reader, "a"));
        assertThat(seen).isGreaterThanOrEqualTo(last);
        assertThat(reader.keys("keep/")).hasSize(10);
        last = seen;
        n++;
      }
      return last;
    });
    int puts = 500;
    for (int i = 1; i <= puts; i++) {
      writer.put(token("a", Integer.toString(i)));
    }
    done.set(true);
    reads.get(60, TimeUnit.SECONDS);
    pool.shutdown();

    assertThat(secret(reader, "a")).isEqualTo(Integer.toString(puts));
    // compacted, as the line count shows (after several compactions the file may have its first
    // inode again: the file system hands freed inodes out anew)
    int live = 1 + 11; // the key check and the records
    assertThat(VaultFile.read(file()).lines.size() - 1).as("lines after the header")
        .isLessThanOrEqualTo(3 * live + EncryptedFileVault.MIN_DEAD + 2);
    assertThat(vault().keys("")).hasSize(11);
  }

  /** Re-putting every entry under a new key leaves nothing in the file that the old key opens. */
  @Test
  void rotation_compactsOnceARecordUnderAnOldKeyIsReplaced_soTheOldKeyOpensNothingLeft() throws Exception {
    vault().put(token("a", "aye"));
    vault().put(token("a", "aye-again")); // a dead line under k1
    vault().put(token("b", "bee"));
    CredentialVault rotated = CredentialVault.encryptedFile(file(),
        KeyProvider.rotating("k2", Map.of("k1", KEY_1, "k2", KEY_2)));

    for (String k : rotated.keys("")) {
      rotated.get(k).ifPresent(rotated::put);
    }

    String text = Files.readString(file());
    assertThat(text).doesNotContain("\"kid\":\"k1\"");
    assertThat(secret(CredentialVault.encryptedFile(file(), KeyProvider.of("k2", KEY_2)), "a")).isEqualTo("aye-again");
  }

  /** A version-1 file written by the earlier format opens and reads; the first change rewrites it as version 2. */
  @Test
  void aVersion1File_opensAndReads_andTheFirstChangeConvertsIt() throws Exception {
    try (InputStream in = getClass().getResourceAsStream("/vault/version1-vault.json")) {
      Files.write(file(), in.readAllBytes());
    }
    KeyProvider both = KeyProvider.rotating("k2", Map.of("k1", KEY_1, "k2", KEY_2));
    CredentialVault v = CredentialVault.encryptedFile(file(), both);

    assertThat(v.keys("")).containsExactly("run_1/cloudflare/deploy-token", "run_2/cloudflare/deploy-token",
        "run_3/stripe/key");
    VaultEntry one = v.get("run_1/cloudflare/deploy-token").orElseThrow();
    assertThat(one.secret().reveal()).isEqualTo("v1-token-one");
    assertThat(one.attributes()).containsEntry("token_id", "tok_1");
    assertThat(one.expiresAt()).isEqualTo(STORED.plusSeconds(604800));
    assertThat(secret(v, "run_3/stripe/key")).isEqualTo("v1-under-k2");
    assertThat(Files.readString(file())).startsWith("{\"entries\":"); // reading changes nothing

    v.put(token("run_4/cloudflare/deploy-token", "after"));

    assertThat(Files.readString(file())).startsWith("{\"format\":\"agentprovision-vault\",\"version\":2}\n");
    CredentialVault reopened = CredentialVault.encryptedFile(file(), both);
    assertThat(reopened.keys("")).hasSize(4);
    assertThat(secret(reopened, "run_2/cloudflare/deploy-token")).isEqualTo("v1-token-two");
    assertThat(secret(reopened, "run_4/cloudflare/deploy-token")).isEqualTo("after");
    assertThat(secret(v, "run_1/cloudflare/deploy-token")).isEqualTo("v1-token-one");
    PosixFileAttributeView posix = Files.getFileAttributeView(file(), PosixFileAttributeView.class);
    if (posix != null) {
      assertThat(posix.readAttributes().permissions())
          .isEqualTo(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
    }
  }

  @Test
  void aVersion1File_withTheWrongKey_refusesAsWrongKey() throws Exception {
    try (InputStream in = getClass().getResourceAsStream("/vault/version1-vault.json")) {
      Files.write(file(), in.readAllBytes());
    }

    assertThatThrownBy(() -> CredentialVault.encryptedFile(file(), KeyProvider.of("k1", KEY_2)))
        .satisfies(e -> assertThat(reasonOf(e)).isEqualTo(Reason.WRONG_KEY));
  }

  @Test
  void aVersion2File_withTheWrongKey_refusesAsWrongKey() {
    vault().put(token("a", "aye"));

    assertThatThrownBy(() -> CredentialVault.encryptedFile(file(), KeyProvider.of("k1", KEY_2)))
        .satisfies(e -> assertThat(reasonOf(e)).isEqualTo(Reason.WRONG_KEY));
  }

  /** A file of a later version is refused with a message saying so, not read as empty. */
  @Test
  void aLaterVersion_isRefusedAsCorrupt_sayingANewerSdkWroteIt() throws Exception {
    Files.writeString(file(), "{\"format\":\"agentprovision-vault\",\"version\":3}\n00000000 {\"x\":1}\n");

    assertThatThrownBy(this::vault).satisfies(e -> assertThat(reasonOf(e)).isEqualTo(Reason.CORRUPT))
        .hasMessageContaining("newer SDK");
  }

  /** The compacted file, like the appended one, holds no secret in clear and is readable by its owner only. */
  @Test
  void afterCompaction_theFileHoldsNoPlaintext_andIsTheOwnersOnly() throws Exception {
    CredentialVault v = vault();
    for (int i = 0; i < 3 * EncryptedFileVault.MIN_DEAD; i++) {
      v.put(token("a", "CANARY-" + i + "-secret"));
    }
    String raw = Files.readString(file(), StandardCharsets.ISO_8859_1);
    assertThat(raw).doesNotContain("CANARY").doesNotContain("cloudflare");
    assertThat(VaultFile.read(file()).lines.size()).isLessThan(2 * EncryptedFileVault.MIN_DEAD);
    PosixFileAttributeView posix = Files.getFileAttributeView(file(), PosixFileAttributeView.class);
    if (posix != null) {
      assertThat(posix.readAttributes().permissions())
          .isEqualTo(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
    }
  }
}
