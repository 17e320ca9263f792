package io.agentprovision.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.WorkerApp.Binding;
import io.agentprovision.core.WorkerApp.Module;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class WorkerAppTest {
  static final String HANDLER = "export default { fetch() { return new Response('hi'); } };";

  @TempDir
  Path tmp;

  private Path write(Path root, String rel, String content) throws Exception {
    Path p = root.resolve(rel);
    Files.createDirectories(p.getParent());
    Files.writeString(p, content);
    return p;
  }

  @Test
  void fromDirectory_readsModulesSkipsNodeModulesAndDotFilesAndFindsTheMain() throws Exception {
    Path dir = tmp.resolve("My App_v2!");
    write(dir, "index.js", HANDLER);
    write(dir, "src/index.js", "export const other = 1;");
    write(dir, "lib/util.mjs", "export const x = 1;");
    write(dir, "lib/legacy.cjs", "module.exports = 1;");
    write(dir, "data/config.json", "{}");
    write(dir, "static/page.html", "<p>hi</p>");
    write(dir, "static/robots.txt", "User-agent: *");
    Files.createDirectories(dir.resolve("wasm"));
    Files.write(dir.resolve("wasm/add.wasm"), new byte[] {0, 'a', 's', 'm'});
    write(dir, "README.md", "# not uploaded");
    write(dir, "package.json", "{\"name\":\"my-app\"}");
    write(dir, ".env", "SECRET=1");
    write(dir, ".git/config", "[core]");
    write(dir, "node_modules/dep/index.js", "module.exports = 1;");
    write(dir, "lib/node_modules/x.js", "nested too");
    write(dir, "lib/.hidden.js", "hidden");

    WorkerApp app = WorkerApp.fromDirectory(dir);

    assertThat(app.name()).isEqualTo("my-app_v2");
    assertThat(app.mainModule()).isEqualTo("index.js");
    assertThat(app.modules()).extracting(Module::path).containsExactly("data/config.json", "index.js", "lib/legacy.cjs",
        "lib/util.mjs", "package.json", "src/index.js", "static/page.html", "static/robots.txt", "wasm/add.wasm");
    Map<String, String> types = new java.util.HashMap<>();
    app.modules().forEach(m -> types.put(m.path(), m.contentType()));
    assertThat(types).containsEntry("index.js", "application/javascript+module")
        .containsEntry("lib/util.mjs", "application/javascript+module")
        .containsEntry("lib/legacy.cjs", "application/javascript")
        .containsEntry("data/config.json", "application/json")
        .containsEntry("static/page.html", "text/html")
        .containsEntry("static/robots.txt", "text/plain")
        .containsEntry("wasm/add.wasm", "application/wasm");
    assertThat(app.modules().get(1).text()).isEqualTo(HANDLER);
    assertThat(app.compatibilityDate()).isEqualTo(WorkerApp.DEFAULT_COMPATIBILITY_DATE);
    assertThat(app.totalBytes()).isEqualTo(app.modules().stream().mapToLong(Module::size).sum());
  }

  @ParameterizedTest
  @CsvSource({"src/index.js, src/index.js", "worker.mjs, worker.mjs", "src/worker.js, src/worker.js"})
  void fromDirectory_findsTheMainModuleAmongTheCandidates(String file, String main) throws Exception {
    Path dir = tmp.resolve("app");
    write(dir, file, HANDLER);
    write(dir, "helpers.js", "export const h = 1;");

    assertThat(WorkerApp.fromDirectory(dir).mainModule()).isEqualTo(main);
  }

  @Test
  void fromDirectory_prefersTheEarlierCandidate() throws Exception {
    Path dir = tmp.resolve("app");
    write(dir, "worker.js", HANDLER);
    write(dir, "index.mjs", HANDLER);

    assertThat(WorkerApp.fromDirectory(dir).mainModule()).isEqualTo("index.mjs");
  }

  @Test
  void fromDirectory_withoutAMainModule_refusesNamingTheCandidates() throws Exception {
    Path dir = tmp.resolve("app");
    write(dir, "lib/util.js", "export const x = 1;");
    write(dir, "node_modules/index.js", HANDLER);

    assertThatThrownBy(() -> WorkerApp.fromDirectory(dir)).isInstanceOfSatisfying(InvalidRequestException.class, e -> {
      assertThat(e.field()).isEqualTo("app");
      assertThat(e.problem()).contains("no main module").contains("index.js");
      assertThat(e.fix()).contains("WorkerApp.builder");
    });
  }

  @Test
  void fromDirectory_whenMissing_refuses() {
    assertThatThrownBy(() -> WorkerApp.fromDirectory(tmp.resolve("nope")))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.problem()).contains("does not exist"));
  }

  @ParameterizedTest
  @CsvSource({"'---', app", "'Ünïcode App', n-code-app", "'__init__', init", "'hello.world', hello-world"})
  void fromDirectory_turnsTheDirectoryNameIntoAScriptName(String dirName, String expected) throws Exception {
    Path dir = tmp.resolve(dirName);
    write(dir, "index.js", HANDLER);

    assertThat(WorkerApp.fromDirectory(dir).name()).isEqualTo(expected);
  }

  @Test
  void fromDirectory_withAVeryLongDirectoryName_shortensTheScriptName() throws Exception {
    Path dir = tmp.resolve("a-really-long-project-directory-name-that-goes-on-and-on-well-past-63-chars");
    write(dir, "index.js", HANDLER);

    String name = WorkerApp.fromDirectory(dir).name();

    assertThat(name).hasSizeLessThanOrEqualTo(63).startsWith("a-really-long-project").doesNotEndWith("-");
  }

  @Test
  void builder_buildsWithBindingsAndFlags() {
    WorkerApp app = WorkerApp.builder("hello")
        .module("index.js", HANDLER)
        .module("data.json", "{\"a\":1}".getBytes(StandardCharsets.UTF_8))
        .compatibilityDate("2026-01-15")
        .compatibilityFlag("nodejs_compat")
        .plainText("GREETING", "hello")
        .secretText("API_KEY", Secret.of("s3cret"))
        .binding(Binding.kvNamespace("CACHE", "ns_1"))
        .binding(Binding.d1("DB", "db_1"))
        .binding(Binding.of("r2_bucket", "FILES", Map.of("bucket_name", "files")))
        .build();

    assertThat(app.mainModule()).as("defaults to the first module").isEqualTo("index.js");
    assertThat(app.compatibilityDate()).isEqualTo(LocalDate.of(2026, 1, 15));
    assertThat(app.compatibilityFlags()).containsExactly("nodejs_compat");
    assertThat(app.bindings()).extracting(Binding::type)
        .containsExactly("plain_text", "secret_text", "kv_namespace", "d1", "r2_bucket");
    assertThat(app.bindings().get(0).attributes()).containsEntry("text", "hello");
    assertThat(app.bindings().get(1).secret().matches("s3cret")).isTrue();
    assertThat(app.bindings().get(1).attributes()).isEmpty();
    assertThat(app.bindings().get(2).attributes()).containsEntry("namespace_id", "ns_1");
    assertThat(app.toString()).doesNotContain("s3cret").contains("secret_text:API_KEY");
  }

  @Test
  void toBuilder_roundTrips() {
    WorkerApp app = WorkerApp.builder("hello").module("a.js", HANDLER).module("b.js", HANDLER).mainModule("b.js")
        .plainText("X", "y").compatibilityFlag("f").build();

    WorkerApp copy = app.toBuilder().build();

    assertThat(copy.mainModule()).isEqualTo("b.js");
    assertThat(copy.modules()).isEqualTo(app.modules());
    assertThat(copy.bindings()).hasSize(1);
    assertThat(copy.compatibilityFlags()).containsExactly("f");
  }

  @Test
  void module_content_isACopy() {
    byte[] bytes = HANDLER.getBytes(StandardCharsets.UTF_8);
    WorkerApp app = WorkerApp.builder("hello").module("index.js", bytes).build();
    bytes[0] = 'X';
    app.modules().get(0).content()[1] = 'Y';

    assertThat(app.modules().get(0).text()).isEqualTo(HANDLER);
  }

  @ParameterizedTest
  @ValueSource(strings = {"My App", "-app", "app-", "", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "app.name"})
  void builder_whenTheNameIsInvalid_refuses(String name) {
    assertThatThrownBy(() -> WorkerApp.builder(name)).isInstanceOfSatisfying(InvalidRequestException.class,
        e -> assertThat(e.field()).isEqualTo("app name"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"../escape.js", "/abs.js", "lib\\win.js", " ", "a/../../b.js"})
  void module_whenThePathLeavesTheApp_refuses(String path) {
    assertThatThrownBy(() -> WorkerApp.builder("a").module(path, HANDLER))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("module"));
  }

  @Test
  void builder_refusesWhatCannotDeploy() {
    assertThatThrownBy(() -> WorkerApp.builder("a").module("readme.md", "x"))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.problem()).contains("no supported extension"));
    assertThatThrownBy(() -> WorkerApp.builder("a").build())
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.problem()).isEqualTo("has no modules"));
    assertThatThrownBy(() -> WorkerApp.builder("a").module("index.js", HANDLER).mainModule("main.js").build())
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("mainModule"));
    assertThatThrownBy(() -> WorkerApp.builder("a").module("data.json", "{}").build())
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.problem()).contains("not an ES module"));
    assertThatThrownBy(() -> WorkerApp.builder("a").plainText("X", "1").plainText("X", "2"))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.problem()).contains("bound twice"));
    assertThatThrownBy(() -> Binding.plainText("1ABC", "x"))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("binding name"));
    assertThatThrownBy(() -> Binding.of(" ", "X", Map.of()))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("binding type"));
    assertThatThrownBy(() -> WorkerApp.builder("a").compatibilityDate("2026-13-01"))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("compatibilityDate"));
    assertThatThrownBy(() -> WorkerApp.builder("a").compatibilityFlag(" "))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("compatibilityFlag"));
  }

  @Test
  void build_whenOverTheSizeLimit_refuses() {
    byte[] big = new byte[(int) WorkerApp.MAX_TOTAL_BYTES];
    WorkerApp.Builder b = WorkerApp.builder("a").module("index.js", HANDLER).module("blob.wasm", big);

    assertThatThrownBy(b::build).isInstanceOfSatisfying(InvalidRequestException.class,
        e -> assertThat(e.problem()).contains("over the 10485760-byte limit"));
  }

  // ---------------------------------------------------------------- reading a directory safely

  @Test
  void fromDirectory_whenALinkLeavesTheDirectory_refusesAndPublishesNothing() throws Exception {
    Path outside = write(tmp, "outside/passwd", "root:x:0:0:root:/root:/bin/bash");
    Path dir = tmp.resolve("app");
    write(dir, "index.js", HANDLER);
    Files.createSymbolicLink(dir.resolve("passwd.txt"), outside);

    assertThatThrownBy(() -> WorkerApp.fromDirectory(dir)).isInstanceOfSatisfying(InvalidRequestException.class, e -> {
      assertThat(e.field()).isEqualTo("app");
      assertThat(e.problem()).contains("\"passwd.txt\"").contains("outside the app directory");
    });
  }

  @Test
  void fromDirectory_whenADirectoryLinkLeaves_refusesToo() throws Exception {
    Path etc = write(tmp, "etc/secret.json", "{\"key\":1}").getParent();
    Path dir = tmp.resolve("app");
    write(dir, "index.js", HANDLER);
    Files.createSymbolicLink(dir.resolve("conf"), etc);

    assertThatThrownBy(() -> WorkerApp.fromDirectory(dir)).isInstanceOfSatisfying(InvalidRequestException.class,
        e -> assertThat(e.problem()).contains("\"conf\"").contains("outside the app directory"));
  }

  @Test
  void fromDirectory_whenALinkStaysInside_readsItsTarget_andABrokenLinkIsRefused() throws Exception {
    Path dir = tmp.resolve("app");
    write(dir, "index.js", HANDLER);
    write(dir, "lib/real.js", "export const x = 1;");
    Files.createSymbolicLink(dir.resolve("alias.js"), dir.resolve("lib/real.js"));

    WorkerApp app = WorkerApp.fromDirectory(dir);
    assertThat(app.modules()).extracting(Module::path).containsExactly("alias.js", "index.js", "lib/real.js");
    assertThat(app.modules().get(0).text()).isEqualTo("export const x = 1;");

    Files.createSymbolicLink(dir.resolve("gone.js"), dir.resolve("nowhere.js"));
    assertThatThrownBy(() -> WorkerApp.fromDirectory(dir)).isInstanceOfSatisfying(InvalidRequestException.class,
        e -> assertThat(e.problem()).contains("broken link"));
  }

  @Test
  void fromDirectory_capsFilesPerFileAndTotalBytes() throws Exception {
    Path dir = tmp.resolve("app");
    write(dir, "index.js", HANDLER);
    write(dir, "a.js", "x".repeat(100));
    write(dir, "b.js", "y".repeat(100));
    WorkerApp.DirectoryLimits d = WorkerApp.DirectoryLimits.defaults();

    assertThat(WorkerApp.fromDirectory(dir, d).modules()).hasSize(3);
    assertThatThrownBy(() -> WorkerApp.fromDirectory(dir, d.withMaxFiles(2)))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.problem()).contains("more than 2 module files"));
    assertThatThrownBy(() -> WorkerApp.fromDirectory(dir, d.withMaxFileBytes(99)))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.problem()).contains("over the 99-byte limit"));
    assertThatThrownBy(() -> WorkerApp.fromDirectory(dir, d.withMaxTotalBytes(250)))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.problem()).contains("more than 250 bytes"));
    assertThat(d).isEqualTo(new WorkerApp.DirectoryLimits(1000, 5L * 1024 * 1024, WorkerApp.MAX_TOTAL_BYTES));
    assertThatThrownBy(() -> d.withMaxTotalBytes(WorkerApp.MAX_TOTAL_BYTES + 1))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("maxTotalBytes"));
    assertThatThrownBy(() -> d.withMaxFiles(0))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("maxFiles"));
  }

  @Test
  void fromDirectory_whenAFileNameCouldInjectIntoTheUpload_refuses() throws Exception {
    Path dir = tmp.resolve("app");
    write(dir, "index.js", HANDLER);
    write(dir, "evil\".js", "x");

    assertThatThrownBy(() -> WorkerApp.fromDirectory(dir)).isInstanceOfSatisfying(InvalidRequestException.class,
        e -> assertThat(e.field()).isEqualTo("module"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"a\r\nContent-Type: text/html.js", "a\u0000.js", "a\".js", "it's.js", "lib\\a.js", "./a.js",
      "a/./b.js", "a//b.js", "C:/a.js", "c:a.js", "/etc/x.js", "a/\u202Egpj.js", "a\nb.js", "lib/", "a/../b.js"})
  void module_whenTheNameIsUnsafe_refuses(String path) {
    assertThatThrownBy(() -> WorkerApp.builder("a").module(path, HANDLER))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
          assertThat(e.field()).isEqualTo("module");
          assertThat(e.getMessage()).doesNotContain("\r").doesNotContain("\n");
        });
  }

  @Test
  void module_acceptsPlainRelativePaths() {
    WorkerApp app = WorkerApp.builder("a").module("index.js", HANDLER).module("lib/a..b.js", "x")
        .module("static/ünï.txt", "x").build();

    assertThat(app.modules()).extracting(Module::path).containsExactly("index.js", "lib/a..b.js", "static/ünï.txt");
  }
}
