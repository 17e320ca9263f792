package io.agentprovision.core.internal.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.Secret;
import io.agentprovision.core.spi.CredentialVault;
import io.agentprovision.core.spi.KeyProvider;
import io.agentprovision.core.vault.VaultEntry;
import io.agentprovision.core.vault.VaultException;
import io.agentprovision.core.wire.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EncryptedFileVaultTest extends CredentialVaultContract {
  static final byte[] KEY_1 = filled(1);
  static final byte[] KEY_2 = filled(2);
  static final String CANARY = "CANARY-7f3a9c-secret-value";
  static final String CANARY_ATTRIBUTE = "acct-CANARY-attribute-4411";

  @TempDir
  Path dir;

  static byte[] filled(int seed) {
    byte[] k = new byte[32];
    for (int i = 0; i < k.length; i++) {
      k[i] = (byte) (seed * 31 + i * 7);
    }
    return k;
  }

  private Path file() {
    return dir.resolve("vault.json");
  }

  @Override
  protected CredentialVault vault() {
    return CredentialVault.encryptedFile(file(), KeyProvider.of("k1", KEY_1));
  }

  private static VaultEntry canaryEntry(String key) {
    return new VaultEntry(key, Secret.of(CANARY), Map.of("account_id", CANARY_ATTRIBUTE), STORED, null);
  }

  private String raw() throws Exception {
    return Files.readString(file(), StandardCharsets.ISO_8859_1);
  }

  /** Edits the last record line of {@code name} in place, its check made to match (as an attacker would). */
  private void editRecord(String name, java.util.function.Consumer<Map<String, Object>> edit) throws Exception {
    VaultFile f = VaultFile.read(file());
    int i = f.lastRecordOf(name);
    Map<String, Object> r = f.json(i);
    edit.accept(r);
    f.set(i, r);
    f.write();
  }

  @Test
  void file_holdsNoPlaintext_onlyEntryNamesAndKeyIds() throws Exception {
    CredentialVault v = vault();
    v.put(canaryEntry("run_1/cloudflare/deploy-token"));

    String raw = raw();
    byte[] bytes = Files.readAllBytes(file());

    assertThat(raw).doesNotContain(CANARY).doesNotContain(CANARY_ATTRIBUTE);
    assertThat(raw).doesNotContain(Base64.getEncoder().encodeToString(CANARY.getBytes(StandardCharsets.UTF_8)));
    assertThat(indexOf(bytes, CANARY.getBytes(StandardCharsets.UTF_16BE))).isNegative();
    assertThat(raw).as("the stored time is sealed too").doesNotContain("2026-11-02");
    assertThat(raw).contains("run_1/cloudflare/deploy-token").contains("\"kid\":\"k1\"");
    assertThat(v.get("run_1/cloudflare/deploy-token").orElseThrow().secret().matches(CANARY)).isTrue();
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  /**
   * The vault keeps its lock file open; a put on an interrupted thread, whose wait for the file lock
   * closes that channel, fails without writing, and the next put opens the lock file again and stores
   * its entry (and another process would still be kept out while it does: the lock is the same file's).
   */
  @Test
  void aPutInterruptedAtTheLock_failsWithoutWriting_andTheNextPutLocksAgain() throws Exception {
    CredentialVault v = vault();
    v.put(canaryEntry("a"));
    byte[] before = Files.readAllBytes(file());
    Thread.currentThread().interrupt();
    try {
      assertThatThrownBy(() -> v.put(canaryEntry("b"))).isInstanceOf(VaultException.class);
    } finally {
      Thread.interrupted();
    }
    assertThat(Files.readAllBytes(file())).isEqualTo(before);

    v.put(canaryEntry("c"));
    assertThat(v.get("c")).isPresent();
    assertThat(v.get("b")).isEmpty();
    assertThat(vault().keys("")).containsExactly("a", "c");
  }

  @Test
  void put_sealsEachRecordWithAFreshNonce() throws Exception {
    CredentialVault v = vault();
    v.put(canaryEntry("a"));
    v.put(canaryEntry("b"));

    VaultFile f = VaultFile.read(file());
    Map<String, Object> a = f.json(f.lastRecordOf("a"));
    Map<String, Object> b = f.json(f.lastRecordOf("b"));
    assertThat(a.get("nonce")).isNotEqualTo(b.get("nonce"));
    assertThat(a.get("data")).isNotEqualTo(b.get("data"));
    assertThat(Base64.getDecoder().decode((String) a.get("nonce"))).hasSize(12);
  }

  @Test
  void open_again_readsWhatWasStored() {
    vault().put(canaryEntry("a"));

    CredentialVault reopened = vault();

    assertThat(reopened.get("a").orElseThrow().attributes()).containsEntry("account_id", CANARY_ATTRIBUTE);
  }

  /**
   * A vault that read a settled file answers from it while the file keeps its inode, length and
   * time; another instance's put (a new file in its place) and an edit in place are seen.
   */
  @Test
  void get_fromWhatItDecoded_seesAnotherInstancesPutAndAnEditInPlace() throws Exception {
    CredentialVault first = vault();
    first.put(canaryEntry("a"));
    first.put(canaryEntry("b"));
    java.nio.file.attribute.FileTime old = java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 3_600_000);
    Files.setLastModifiedTime(file(), old);
    assertThat(first.get("a").orElseThrow().secret().reveal()).isEqualTo(CANARY);
    assertThat(first.get("a").orElseThrow().secret().reveal()).as("answered from the stamp").isEqualTo(CANARY);

    CredentialVault other = vault();
    other.put(new VaultEntry("a", Secret.of("CANARY-7f3a9c-secret-valuf"), Map.of("account_id", CANARY_ATTRIBUTE),
        STORED, null)); // the same length: only the file's inode and time tell
    Files.setLastModifiedTime(file(), old);
    assertThat(first.get("a").orElseThrow().secret().reveal()).isEqualTo("CANARY-7f3a9c-secret-valuf");

    String text = Files.readString(file());
    assertThat(first.get("b")).isPresent();
    VaultFile f = VaultFile.read(file());
    int line = f.lastRecordOf("b");
    Map<String, Object> b = f.json(line);
    byte[] flipped = Base64.getDecoder().decode((String) b.get("data"));
    flipped[3] ^= 1;
    b.put("data", Base64.getEncoder().encodeToString(flipped));
    f.set(line, b); // its check made to match: only the seal tells
    String edited = f.text();
    assertThat(edited).hasSize(text.length()).isNotEqualTo(text);
    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file(), java.nio.file.StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap(edited.getBytes(StandardCharsets.UTF_8)), 0); // in place: the same inode
    }
    Files.setLastModifiedTime(file(), java.nio.file.attribute.FileTime.fromMillis(old.toMillis() + 1_000));
    assertThatThrownBy(() -> first.get("b")).isInstanceOfSatisfying(VaultException.class,
        e -> assertThat(e.reason()).isEqualTo(VaultException.Reason.TAMPERED));
  }

  /**
   * The file is a header line and one line per change, each its CRC-32C in hex, a space and its
   * canonical JSON (keys sorted, no whitespace), names escaped, so that a newline ends a line.
   */
  @Test
  void file_isAHeaderAndOneCheckedCanonicalJsonLinePerChange() throws Exception {
    CredentialVault v = vault();
    v.put(canaryEntry("run_2/cloudflare/deploy-token"));
    v.put(canaryEntry("run_1/\"quoted\"\\name\u00e9\n"));
    v.put(canaryEntry("a"));
    v.delete("a");
    String text = Files.readString(file());
    String[] lines = text.split("\n", -1);
    assertThat(lines).hasSize(7); // header, key check, three records, a removal, and the empty rest
    assertThat(lines[0]).isEqualTo("{\"format\":\"agentprovision-vault\",\"version\":2}");
    assertThat(lines[6]).isEmpty();
    for (int i = 1; i < 6; i++) {
      String json = lines[i].substring(9);
      assertThat(json).isEqualTo(Json.canonical(Json.parse(json)));
      assertThat(lines[i].substring(0, 9)).isEqualTo(VaultFile.check(json) + " ");
    }
    assertThat(Json.parseObject(lines[1].substring(9))).containsOnlyKeys("check", "data", "nonce");
    assertThat(Json.parseObject(lines[3].substring(9))).containsEntry("name", "run_1/\"quoted\"\\name\u00e9\n");
    assertThat(Json.parseObject(lines[5].substring(9))).isEqualTo(Map.of("removed", "a"));
    assertThat(vault().keys("")).containsExactly("run_1/\"quoted\"\\name\u00e9\n", "run_2/cloudflare/deploy-token");
    assertThat(vault().get("run_1/\"quoted\"\\name\u00e9\n")).isPresent();
  }

  /** A vault keeps what it decoded of the file only while the file's bytes are the same: another's change is seen. */
  @Test
  void get_seesWhatAnotherInstanceStoredOrWhatWasAlteredSinceItLastRead() throws Exception {
    CredentialVault first = vault();
    first.put(canaryEntry("a"));
    assertThat(first.get("a")).isPresent();
    CredentialVault other = vault();

    other.put(new io.agentprovision.core.vault.VaultEntry("b", io.agentprovision.core.Secret.of("second-secret"),
        Map.of(), java.time.Instant.parse("2026-11-02T09:00:00Z"), null));
    other.delete("a");

    assertThat(first.get("a")).isEmpty();
    assertThat(first.get("b").orElseThrow().secret().reveal()).isEqualTo("second-secret");
    assertThat(first.keys("")).containsExactly("b");

    editRecord("b", r -> {
      byte[] data = Base64.getDecoder().decode((String) r.get("data"));
      data[3] ^= 1;
      r.put("data", Base64.getEncoder().encodeToString(data));
    });
    assertThatThrownBy(() -> first.get("b")).isInstanceOfSatisfying(VaultException.class,
        e -> assertThat(e.reason()).isEqualTo(VaultException.Reason.TAMPERED));
  }

  @Test
  void file_onPosix_isReadableByItsOwnerOnly() throws Exception {
    vault().put(canaryEntry("a"));

    PosixFileAttributeView posix = Files.getFileAttributeView(file(), PosixFileAttributeView.class);
    org.junit.jupiter.api.Assumptions.assumeTrue(posix != null, "not a POSIX file system");
    assertThat(posix.readAttributes().permissions())
        .isEqualTo(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
  }

  @Test
  void get_whenTheCiphertextIsAltered_refusesAsTampered() throws Exception {
    vault().put(canaryEntry("a"));
    editRecord("a", r -> {
      byte[] data = Base64.getDecoder().decode((String) r.get("data"));
      data[3] ^= 1;
      r.put("data", Base64.getEncoder().encodeToString(data));
    });

    assertThatThrownBy(() -> vault().get("a")).isInstanceOfSatisfying(VaultException.class, e -> {
      assertThat(e.reason()).isEqualTo(VaultException.Reason.TAMPERED);
      assertThat(e.entry()).isEqualTo("a");
      assertThat(e.getMessage()).contains("'a'").doesNotContain(CANARY);
    });
  }

  @Test
  void get_whenARecordIsCopiedUnderAnotherName_refusesAsTampered() throws Exception {
    CredentialVault v = vault();
    v.put(canaryEntry("run_1/admin-token"));
    v.put(entry("run_1/deploy-token", "narrow"));
    // sealed by another vault under the same key, so that its nonce is not one this file holds
    Path elsewhere = dir.resolve("other.json");
    CredentialVault.encryptedFile(elsewhere, KeyProvider.of("k1", KEY_1)).put(canaryEntry("run_1/admin-token"));
    VaultFile from = VaultFile.read(elsewhere);
    Map<String, Object> admin = from.json(from.lastRecordOf("run_1/admin-token"));
    admin.put("name", "run_1/deploy-token");
    VaultFile f = VaultFile.read(file());
    f.add(admin);
    f.write();

    assertThatThrownBy(() -> v.get("run_1/deploy-token")).isInstanceOfSatisfying(VaultException.class,
        e -> assertThat(e.reason()).isEqualTo(VaultException.Reason.TAMPERED));
    assertThat(v.get("run_1/admin-token")).isPresent();
  }

  @Test
  void get_whenARecordIsRelabelledWithAnotherKeyId_refusesAsTampered() throws Exception {
    KeyProvider both = KeyProvider.rotating("k1", Map.of("k1", KEY_1, "k2", KEY_2));
    CredentialVault v = CredentialVault.encryptedFile(file(), both);
    v.put(canaryEntry("a"));
    CredentialVault.encryptedFile(file(), KeyProvider.rotating("k2", Map.of("k1", KEY_1, "k2", KEY_2)))
        .put(entry("b", "under k2")); // so the file has a key check for k2
    editRecord("a", r -> r.put("kid", "k2"));

    assertThatThrownBy(() -> v.get("a")).isInstanceOfSatisfying(VaultException.class,
        e -> assertThat(e.reason()).isEqualTo(VaultException.Reason.TAMPERED));
  }

  @Test
  void open_withTheWrongKeyUnderTheSameId_refusesWithATypedError() {
    vault().put(canaryEntry("a"));

    assertThatThrownBy(() -> CredentialVault.encryptedFile(file(), KeyProvider.of("k1", KEY_2)))
        .isInstanceOfSatisfying(VaultException.class, e -> {
          assertThat(e.reason()).isEqualTo(VaultException.Reason.WRONG_KEY);
          assertThat(e.getMessage()).contains("'k1'");
        });
  }

  @Test
  void get_whenTheKeyCheckWasRemovedAndTheKeyIsWrong_stillRefusesRatherThanReturnGarbage() throws Exception {
    vault().put(canaryEntry("a"));
    VaultFile f = VaultFile.read(file());
    f.lines.removeIf(l -> l.contains("\"check\":"));
    f.write();

    CredentialVault wrong = CredentialVault.encryptedFile(file(), KeyProvider.of("k1", KEY_2));

    assertThatThrownBy(() -> wrong.get("a")).isInstanceOf(VaultException.class);
  }

  @Test
  void get_underAKeyIdTheProviderLacks_refusesAsUnknownKeyButStillLists() {
    vault().put(canaryEntry("a"));

    CredentialVault other = CredentialVault.encryptedFile(file(), KeyProvider.of("k2", KEY_2));

    assertThat(other.keys("")).containsExactly("a");
    assertThatThrownBy(() -> other.get("a")).isInstanceOfSatisfying(VaultException.class, e -> {
      assertThat(e.reason()).isEqualTo(VaultException.Reason.UNKNOWN_KEY);
      assertThat(e.getMessage()).contains("'k1'").contains("KeyProvider.rotating");
    });
  }

  @Test
  void rotation_opensOldRecordsAndPutResealsUnderTheCurrentKey() throws Exception {
    vault().put(canaryEntry("old"));
    KeyProvider rotated = KeyProvider.rotating("k2", Map.of("k1", KEY_1, "k2", KEY_2));
    CredentialVault v = CredentialVault.encryptedFile(file(), rotated);

    VaultEntry old = v.get("old").orElseThrow();
    assertThat(old.secret().matches(CANARY)).isTrue();
    assertThat(raw()).contains("\"kid\":\"k1\"");

    v.put(old);

    assertThat(raw()).doesNotContain("\"kid\":\"k1\"").contains("\"kid\":\"k2\"");
    CredentialVault onlyNewKey = CredentialVault.encryptedFile(file(), KeyProvider.of("k2", KEY_2));
    assertThat(onlyNewKey.get("old").orElseThrow().secret().matches(CANARY)).isTrue();
  }

  @Test
  void open_whenTheFileIsNotAVault_refusesAsCorrupt() throws Exception {
    Files.writeString(file(), "{\"hello\":\"world\"}");

    assertThatThrownBy(this::vault).isInstanceOfSatisfying(VaultException.class,
        e -> assertThat(e.reason()).isEqualTo(VaultException.Reason.CORRUPT));
  }

  @Test
  void open_whenTheFileIsGarbage_refusesAsCorrupt() throws Exception {
    Files.write(file(), new byte[] {1, 2, 3, (byte) 0xff});

    assertThatThrownBy(this::vault).isInstanceOfSatisfying(VaultException.class,
        e -> assertThat(e.reason()).isEqualTo(VaultException.Reason.CORRUPT));
  }

  @Test
  void put_whenTheStoredRecordIsTruncated_doesNotDisturbOthers() throws Exception {
    CredentialVault v = vault();
    v.put(canaryEntry("a"));
    v.put(entry("b", "bee"));
    editRecord("a", r -> r.put("data", Base64.getEncoder().encodeToString(new byte[4])));

    assertThatThrownBy(() -> v.get("a")).isInstanceOf(VaultException.class);
    assertThat(v.get("b").orElseThrow().secret().matches("bee")).isTrue();
  }

  @Test
  void toString_namesTheFileAndKeyIdOnly() {
    CredentialVault v = vault();
    v.put(canaryEntry("a"));

    assertThat(v.toString()).contains("vault.json").contains("k1").doesNotContain(CANARY)
        .doesNotContain(Base64.getEncoder().encodeToString(KEY_1));
  }

  /**
   * Given a provisioner's durability barrier, a put returns without forcing its line: the force is
   * owed to the barrier, in its first phase, so it is on disk before the run journal writes a line
   * that reports the step's work ({@code settleBefore(1)}) and before the next request that may
   * change something, never before a read. Another process's vault reads the secret at once.
   */
  @Test
  void attachedToABarrier_aPutIsForcedBeforeAChangingRequestAndAReportingJournalLine_notBeforeARead()
      throws Exception {
    EncryptedFileVault v = EncryptedFileVault.open(file(), KeyProvider.of("k1", KEY_1));
    v.put(canaryEntry("first")); // the file's creation, forced whole before the barrier is attached
    io.agentprovision.core.internal.fs.DurabilityBarrier barrier =
        new io.agentprovision.core.internal.fs.DurabilityBarrier(false);
    v.deferTo(barrier);
    assertThat(barrier.owes()).isFalse();

    v.put(canaryEntry("token"));
    assertThat(barrier.owes()).as("the put's line owed, not forced").isTrue();
    assertThat(CredentialVault.encryptedFile(file(), KeyProvider.of("k1", KEY_1)).get("token"))
        .as("read by another vault of the file").map(e -> e.secret().reveal()).hasValue(CANARY);
    barrier.settleBefore(1); // what the run journal waits for before a line that reports work
    assertThat(barrier.owes()).as("the vault's force is of the phase before the journal's").isFalse();

    java.util.List<String> wire = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (mockwebserver3.MockWebServer server = new mockwebserver3.MockWebServer()) {
      server.setDispatcher(new mockwebserver3.Dispatcher() {
        @Override
        public mockwebserver3.MockResponse dispatch(mockwebserver3.RecordedRequest request) {
          wire.add(request.getMethod() + (barrier.owes() ? " with the put owed" : " after its force"));
          return new mockwebserver3.MockResponse.Builder().code(200).body("{}").build();
        }
      });
      server.start();
      okhttp3.OkHttpClient client = io.agentprovision.core.http.HttpStack.create()
          .client("test", io.agentprovision.core.http.ResiliencePolicy.ofDefaults());
      v.put(canaryEntry("another"));
      try (io.agentprovision.core.internal.fs.DurabilityBarrier.Scope run = barrier.enter()) {
        for (String method : new String[] {"GET", "POST"}) {
          okhttp3.RequestBody body = method.equals("GET") ? null
              : okhttp3.RequestBody.create("{}", okhttp3.MediaType.get("application/json"));
          try (okhttp3.Response r = client.newCall(new okhttp3.Request.Builder().url(server.url("/things"))
              .method(method, body).build()).execute()) {
            assertThat(r.code()).isEqualTo(200);
          }
        }
      }
    }
    assertThat(wire).containsExactly("GET with the put owed", "POST after its force");
  }
}
