package io.agentprovision.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * An app to deploy as an ES-module Worker: its modules, the main module, the compatibility date and
 * flags, and bindings. Immutable.
 *
 * <pre>{@code
 * WorkerApp app = WorkerApp.fromDirectory(Path.of("my-app"));       // finds index.js, worker.js, src/index.js
 * WorkerApp app2 = WorkerApp.builder("hello")
 *     .module("index.js", "export default { fetch() { return new Response('hi'); } };")
 *     .plainText("GREETING", "hello")
 *     .build();
 * }</pre>
 */
public final class WorkerApp {
  /** The compatibility date used when none is given. */
  public static final LocalDate DEFAULT_COMPATIBILITY_DATE = LocalDate.of(2025, 9, 1);
  /** Main-module names looked for, in order, by {@link #fromDirectory(Path)}. */
  public static final List<String> MAIN_MODULE_CANDIDATES = List.of("index.js", "index.mjs", "worker.js", "worker.mjs",
      "src/index.js", "src/index.mjs", "src/worker.js");
  /** The largest total upload accepted: 10 MiB, Cloudflare's limit for paid plans. */
  public static final long MAX_TOTAL_BYTES = 10L * 1024 * 1024;

  private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?");
  private static final Pattern BINDING = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,63}");

  private final String name;
  private final String mainModule;
  private final List<Module> modules;
  private final LocalDate compatibilityDate;
  private final List<String> compatibilityFlags;
  private final List<Binding> bindings;

  private WorkerApp(Builder b) {
    this.name = b.name;
    this.mainModule = b.mainModule;
    this.modules = List.copyOf(b.modules.values());
    this.compatibilityDate = b.compatibilityDate;
    this.compatibilityFlags = List.copyOf(b.flags);
    this.bindings = List.copyOf(b.bindings.values());
  }

  /** Starts an app whose script name is {@code name} (lower-case letters, digits, {@code -}, {@code _}). */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /**
   * Reads every {@code .js}, {@code .mjs}, {@code .cjs}, {@code .wasm}, {@code .json}, {@code .txt}
   * and {@code .html} file under {@code dir} (skipping {@code node_modules} and dot-files). The main
   * module is the first of {@link #MAIN_MODULE_CANDIDATES} present; the script name is the directory
   * name, lower-cased, with other characters turned into {@code -}, shortened to 63 characters.
   */
  public static WorkerApp fromDirectory(Path dir) {
    Objects.requireNonNull(dir, "dir");
    if (!Files.isDirectory(dir)) {
      throw new InvalidRequestException("app", "directory " + dir + " does not exist",
          "pass the directory that holds the Worker's index.js");
    }
    Path root = dir.toAbsolutePath().normalize();
    String dirName = root.getFileName() == null ? "app" : root.getFileName().toString();
    String scriptName = dirName.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_-]+", "-").replaceAll("^[-_]+", "");
    if (scriptName.length() > 63) {
      scriptName = scriptName.substring(0, 63); // the longest script name the builder accepts
    }
    scriptName = scriptName.replaceAll("[-_]+$", "");
    Builder b = builder(scriptName.isEmpty() ? "app" : scriptName);
    List<Path> files;
    try (Stream<Path> walk = Files.walk(root)) {
      files = walk.filter(Files::isRegularFile)
          .filter(p -> {
            Path rel = root.relativize(p);
            for (Path part : rel) {
              String s = part.toString();
              if (s.startsWith(".") || s.equals("node_modules")) {
                return false;
              }
            }
            return contentType(rel.toString()) != null;
          })
          .sorted(Comparator.comparing(Path::toString))
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read app directory " + dir, e);
    }
    for (Path p : files) {
      String rel = root.relativize(p).toString().replace('\\', '/');
      try {
        b.module(rel, Files.readAllBytes(p));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + p, e);
      }
    }
    String main = null;
    for (String c : MAIN_MODULE_CANDIDATES) {
      if (b.modules.containsKey(c)) {
        main = c;
        break;
      }
    }
    if (main == null) {
      throw new InvalidRequestException("app", "directory " + dir + " has no main module (looked for "
          + MAIN_MODULE_CANDIDATES + ")", "add an index.js that exports a fetch handler, or build the app with "
          + "WorkerApp.builder(name).mainModule(...)");
    }
    return b.mainModule(main).build();
  }

  static @Nullable String contentType(String path) {
    String p = path.toLowerCase(Locale.ROOT);
    if (p.endsWith(".js") || p.endsWith(".mjs")) {
      return "application/javascript+module";
    } else if (p.endsWith(".cjs")) {
      return "application/javascript";
    } else if (p.endsWith(".wasm")) {
      return "application/wasm";
    } else if (p.endsWith(".json")) {
      return "application/json";
    } else if (p.endsWith(".txt")) {
      return "text/plain";
    } else if (p.endsWith(".html")) {
      return "text/html";
    }
    return null;
  }

  /** The script name. */
  public String name() {
    return name;
  }

  /** The path of the module whose default export handles requests. */
  public String mainModule() {
    return mainModule;
  }

  public List<Module> modules() {
    return modules;
  }

  public LocalDate compatibilityDate() {
    return compatibilityDate;
  }

  public List<String> compatibilityFlags() {
    return compatibilityFlags;
  }

  public List<Binding> bindings() {
    return bindings;
  }

  /** The total size of all modules in bytes. */
  public long totalBytes() {
    long n = 0;
    for (Module m : modules) {
      n += m.size();
    }
    return n;
  }

  public Builder toBuilder() {
    Builder b = new Builder(name);
    for (Module m : modules) {
      b.modules.put(m.path(), m);
    }
    b.mainModule = mainModule;
    b.compatibilityDate = compatibilityDate;
    b.flags.addAll(compatibilityFlags);
    for (Binding x : bindings) {
      b.bindings.put(x.name(), x);
    }
    return b;
  }

  @Override
  public String toString() {
    return "WorkerApp{" + name + ", main=" + mainModule + ", modules=" + modules.size() + ", bytes=" + totalBytes()
        + ", compatibilityDate=" + compatibilityDate + ", bindings=" + bindings + "}";
  }

  /** One module: its path (which is also its multipart part name), bytes and content type. */
  public static final class Module {
    private final String path;
    private final byte[] content;
    private final String contentType;

    Module(String path, byte[] content, String contentType) {
      this.path = path;
      this.content = content.clone();
      this.contentType = contentType;
    }

    public String path() {
      return path;
    }

    /** A copy of the bytes. */
    public byte[] content() {
      return content.clone();
    }

    /** The content as UTF-8 text. */
    public String text() {
      return new String(content, StandardCharsets.UTF_8);
    }

    public String contentType() {
      return contentType;
    }

    public int size() {
      return content.length;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Module m && m.path.equals(path) && Arrays.equals(m.content, content)
          && m.contentType.equals(contentType);
    }

    @Override
    public int hashCode() {
      return path.hashCode() * 31 + Arrays.hashCode(content);
    }

    @Override
    public String toString() {
      return path + " (" + contentType + ", " + content.length + " bytes)";
    }
  }

  /**
   * A binding the Worker sees on {@code env}: plain text, secret text, a KV namespace, a D1 database.
   * A secret binding's value is a {@link Secret} and never appears in {@code toString}.
   */
  public static final class Binding {
    private final String type;
    private final String name;
    private final Map<String, String> attributes;
    private final @Nullable Secret secret;

    private Binding(String type, String name, Map<String, String> attributes, @Nullable Secret secret) {
      if (name == null || !BINDING.matcher(name).matches()) {
        throw new InvalidRequestException("binding name", "'" + name + "' is not a valid identifier",
            "use letters, digits and underscores, starting with a letter or underscore");
      }
      this.type = type;
      this.name = name;
      this.attributes = Map.copyOf(attributes);
      this.secret = secret;
    }

    /** {@code env.NAME} is the string {@code text}. */
    public static Binding plainText(String name, String text) {
      return new Binding("plain_text", name, Map.of("text", Objects.requireNonNull(text, "text")), null);
    }

    /** {@code env.NAME} is a secret string, sent to the provider and never logged. */
    public static Binding secretText(String name, Secret value) {
      return new Binding("secret_text", name, Map.of(), Objects.requireNonNull(value, "value"));
    }

    /** {@code env.NAME} is the KV namespace with id {@code namespaceId}. */
    public static Binding kvNamespace(String name, String namespaceId) {
      return new Binding("kv_namespace", name, Map.of("namespace_id", Objects.requireNonNull(namespaceId, "namespaceId")),
          null);
    }

    /** {@code env.NAME} is the D1 database with id {@code databaseId}. */
    public static Binding d1(String name, String databaseId) {
      return new Binding("d1", name, Map.of("database_id", Objects.requireNonNull(databaseId, "databaseId")),
          null);
    }

    /** Any other binding type, with its attributes as the provider names them. */
    public static Binding of(String type, String name, Map<String, String> attributes) {
      if (type == null || type.isBlank()) {
        throw new InvalidRequestException("binding type", "is empty", "pass a type such as \"plain_text\"");
      }
      return new Binding(type, name, attributes, null);
    }

    /** The provider's binding type, such as {@code plain_text}, {@code secret_text}, {@code kv_namespace}, {@code d1}. */
    public String type() {
      return type;
    }

    public String name() {
      return name;
    }

    /** Non-secret attributes, such as {@code text} or {@code namespace_id}. */
    public Map<String, String> attributes() {
      return attributes;
    }

    /** The secret value of a {@code secret_text} binding, else null. */
    public @Nullable Secret secret() {
      return secret;
    }

    @Override
    public String toString() {
      return type + ":" + name;
    }
  }

  /** Builds a {@link WorkerApp}. */
  public static final class Builder {
    private final String name;
    private final Map<String, Module> modules = new LinkedHashMap<>();
    private @Nullable String mainModule;
    private LocalDate compatibilityDate = DEFAULT_COMPATIBILITY_DATE;
    private final List<String> flags = new ArrayList<>();
    private final Map<String, Binding> bindings = new LinkedHashMap<>();

    private Builder(String name) {
      if (name == null || !NAME.matcher(name).matches()) {
        throw new InvalidRequestException("app name", "'" + name + "' is not a valid script name",
            "use 1 to 63 lower-case letters, digits, '-' or '_', such as \"my-app\"");
      }
      this.name = name;
    }

    /** Adds a module; its content type follows the extension ({@code .js}/{@code .mjs} are ES modules). */
    public Builder module(String path, byte[] content) {
      String type = path == null ? null : contentType(path);
      if (type == null) {
        throw new InvalidRequestException("module", "'" + path + "' has no supported extension",
            "name modules .js, .mjs, .cjs, .wasm, .json, .txt or .html");
      }
      return module(path, content, type);
    }

    /** Adds a module with an explicit content type. */
    public Builder module(String path, byte[] content, String contentType) {
      if (path == null || path.isBlank() || path.startsWith("/") || path.contains("..") || path.contains("\\")) {
        throw new InvalidRequestException("module", "path '" + path + "' is not a relative path inside the app",
            "use a relative path such as \"index.js\" or \"lib/util.js\"");
      }
      Objects.requireNonNull(content, "content");
      Objects.requireNonNull(contentType, "contentType");
      modules.put(path, new Module(path, content, contentType));
      return this;
    }

    /** Adds a module from UTF-8 text. */
    public Builder module(String path, String source) {
      return module(path, Objects.requireNonNull(source, "source").getBytes(StandardCharsets.UTF_8));
    }

    /** Which module exports the fetch handler; defaults to the first module added. */
    public Builder mainModule(String path) {
      this.mainModule = Objects.requireNonNull(path, "mainModule");
      return this;
    }

    public Builder compatibilityDate(LocalDate date) {
      this.compatibilityDate = Objects.requireNonNull(date, "compatibilityDate");
      return this;
    }

    /** A date in ISO form, such as {@code "2025-09-01"}. */
    public Builder compatibilityDate(String isoDate) {
      try {
        return compatibilityDate(LocalDate.parse(isoDate));
      } catch (DateTimeParseException e) {
        throw new InvalidRequestException("compatibilityDate", "'" + isoDate + "' is not a date",
            "write it as YYYY-MM-DD, such as \"2025-09-01\"");
      }
    }

    public Builder compatibilityFlag(String flag) {
      if (flag == null || flag.isBlank()) {
        throw new InvalidRequestException("compatibilityFlag", "is empty", "pass a flag such as \"nodejs_compat\"");
      }
      flags.add(flag);
      return this;
    }

    public Builder binding(Binding binding) {
      Objects.requireNonNull(binding, "binding");
      if (bindings.containsKey(binding.name())) {
        throw new InvalidRequestException("binding", "'" + binding.name() + "' is bound twice", "give each binding its own name");
      }
      bindings.put(binding.name(), binding);
      return this;
    }

    public Builder plainText(String bindingName, String text) {
      return binding(Binding.plainText(bindingName, text));
    }

    public Builder secretText(String bindingName, Secret value) {
      return binding(Binding.secretText(bindingName, value));
    }

    public WorkerApp build() {
      if (modules.isEmpty()) {
        throw new InvalidRequestException("app", "has no modules", "add at least the main module, such as index.js");
      }
      if (mainModule == null) {
        mainModule = modules.keySet().iterator().next();
      }
      Module main = modules.get(mainModule);
      if (main == null) {
        throw new InvalidRequestException("mainModule", "'" + mainModule + "' is not one of the modules " + modules.keySet(),
            "name one of the modules added");
      }
      if (!main.contentType().equals("application/javascript+module")) {
        throw new InvalidRequestException("mainModule", "'" + mainModule + "' is not an ES module",
            "use a .js or .mjs module that has `export default { fetch }`");
      }
      long total = 0;
      for (Module m : modules.values()) {
        total += m.size();
      }
      if (total > MAX_TOTAL_BYTES) {
        throw new InvalidRequestException("app", "is " + total + " bytes, over the " + MAX_TOTAL_BYTES + "-byte limit",
            "bundle and minify the app, or move assets to storage");
      }
      return new WorkerApp(this);
    }
  }
}
