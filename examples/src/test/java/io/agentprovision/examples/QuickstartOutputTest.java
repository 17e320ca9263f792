package io.agentprovision.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.agentprovision.core.spi.KeyProvider;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The files the Quickstart leaves behind: who may read its output folder and its demo vault key. */
class QuickstartOutputTest {
  @TempDir
  Path tmp;

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

  @BeforeEach
  void posixOnly() {
    assumeTrue(tmp.getFileSystem().supportedFileAttributeViews().contains("posix"),
        "owner-only permissions are POSIX permissions; this file system has none");
  }

  private static String permissions(Path p) throws Exception {
    return PosixFilePermissions.toString(Files.getFileAttributeView(p, PosixFileAttributeView.class)
        .readAttributes().permissions());
  }

  @Test
  void outputFolder_itCreates_isReadableByItsOwnerOnly() throws Exception {
    Path dir = tmp.resolve("target").resolve("quickstart");

    Quickstart.outputFolder(dir);

    assertThat(dir).isDirectory();
    assertThat(permissions(dir)).isEqualTo("rwx------");
  }

  @Test
  void outputFolder_thatExists_isLeftAsTheUserMadeIt() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("mine"));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-x---"));

    Quickstart.outputFolder(dir);

    assertThat(permissions(dir)).isEqualTo("rwxr-x---");
  }

  @Test
  void vaultKey_generated_isReadableByItsOwnerOnly_andReusedByTheNextRun() throws Exception {
    Path dir = tmp.resolve("out");
    Quickstart.outputFolder(dir);

    KeyProvider first = Quickstart.vaultKey(dir, null, out);
    Path keyFile = dir.resolve("vault.key");
    String key = Files.readString(keyFile);
    KeyProvider second = Quickstart.vaultKey(dir, null, out);

    assertThat(permissions(keyFile)).isEqualTo("rw-------");
    assertThat(Base64.getDecoder().decode(key)).hasSize(32);
    assertThat(Files.readString(keyFile)).as("the second run keeps the key its vault was sealed with").isEqualTo(key);
    assertThat(second.key(second.currentKeyId()).getEncoded()).isEqualTo(first.key(first.currentKeyId()).getEncoded());
    assertThat(bytes.toString(StandardCharsets.UTF_8)).containsOnlyOnce("generated a vault key").doesNotContain(key)
        .doesNotContain("warning");
  }

  @Test
  void vaultKey_thatOthersCanRead_isUsed_withAWarning() throws Exception {
    Path keyFile = tmp.resolve("vault.key");
    Files.writeString(keyFile, Base64.getEncoder().encodeToString(new byte[32]));
    Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-r--r--"));

    Quickstart.vaultKey(tmp, null, out);

    assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("warning: " + keyFile + " can be read by others",
        "chmod 600");
  }

  @Test
  void vaultKey_fromTheEnvironment_writesNoFile() {
    KeyProvider keys = Quickstart.vaultKey(tmp, Base64.getEncoder().encodeToString(new byte[32]), out);

    assertThat(keys.currentKeyId()).isEqualTo("env");
    assertThat(tmp.resolve("vault.key")).doesNotExist();
  }
}
