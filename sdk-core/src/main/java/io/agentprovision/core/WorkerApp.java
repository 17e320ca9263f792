package io.agentprovision.core;

import io.agentprovision.core.internal.Untrusted;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Pattern;
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
  /** The longest module path accepted. */
  public static final int MAX_MODULE_PATH_CHARS = 256;

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
    this.mainModule = Objects.requireNonNull(b.mainModule, "mainModule (build() chooses one)");
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
   * {@link #fromDirectory(Path, DirectoryLimits)} with {@link DirectoryLimits#defaults()}.
   */
  public static WorkerApp fromDirectory(Path dir) {
    return fromDirectory(dir, DirectoryLimits.defaults());
  }

  /**
   * Reads every {@code .js}, {@code .mjs}, {@code .cjs}, {@code .wasm}, {@code .json}, {@code .txt}
   * and {@code .html} file under {@code dir} (skipping {@code node_modules} and dot-files). The main
   * module is the first of {@link #MAIN_MODULE_CANDIDATES} present; the script name is the directory
   * name, lower-cased, with other characters turned into {@code -}, shortened to 63 characters.
   *
   * <p>What is published must be what is in the directory, so reading refuses (never skips
   * silently): a symbolic link whose target lies outside the directory (its real path is resolved),
   * a broken link, a file of a module type that is not a regular file (a pipe or a device), a file
   * name that is not a valid {@link Builder#module module path}, and more files, a larger file or
   * more bytes in all than {@code limits} allow. A link to a file inside the directory is read as
   * that file. Files are opened without following links, so a file swapped for a link after the
   * check is not read through it.
   *
   * @throws InvalidRequestException (field {@code app} or {@code module}) for any of the above
   */
  public static WorkerApp fromDirectory(Path dir, DirectoryLimits limits) {
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(limits, "limits");
    if (!Files.isDirectory(dir)) {
      throw new InvalidRequestException("app", "directory " + dir + " does not exist",
          "pass the directory that holds the Worker's index.js");
    }
    Path root;
    try {
      root = dir.toRealPath();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read app directory " + dir, e);
    }
    Path named = dir.toAbsolutePath().normalize();
    String dirName = named.getFileName() == null ? "app" : named.getFileName().toString();
    String scriptName = dirName.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_-]+", "-").replaceAll("^[-_]+", "");
    if (scriptName.length() > 63) {
      scriptName = scriptName.substring(0, 63); // the longest script name the builder accepts
    }
    scriptName = scriptName.replaceAll("[-_]+$", "");
    Builder b = builder(scriptName.isEmpty() ? "app" : scriptName);
    Map<String, Path> files = new TreeMap<>();
    try {
      Files.walkFileTree(root, EnumSet.noneOf(FileVisitOption.class), Integer.MAX_VALUE, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
          if (!d.equals(root) && skipped(d.getFileName().toString())) {
            return FileVisitResult.SKIP_SUBTREE;
          }
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
          if (skipped(f.getFileName().toString())) {
            return FileVisitResult.CONTINUE;
          }
          String rel = modulePath(root, f);
          Path target = f;
          BasicFileAttributes targetAttrs = attrs;
          if (attrs.isSymbolicLink()) {
            try {
              target = f.toRealPath();
            } catch (NoSuchFileException e) {
              throw new InvalidRequestException("app", Untrusted.quote(rel) + " is a link to nothing (a broken link)",
                  "remove the link or restore its target inside " + dir);
            }
            if (!target.startsWith(root)) {
              throw new InvalidRequestException("app", Untrusted.quote(rel) + " is a link to "
                  + Untrusted.quote(target) + ", outside the app directory; its content would be published",
                  "copy what the app needs into " + dir + " and remove the link");
            }
            targetAttrs = Files.readAttributes(target, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (targetAttrs.isDirectory()) {
              return FileVisitResult.CONTINUE; // its files are read where they really are, inside the directory
            }
          }
          if (contentType(rel) == null) {
            return FileVisitResult.CONTINUE;
          }
          if (!targetAttrs.isRegularFile()) {
            throw new InvalidRequestException("app", Untrusted.quote(rel) + " is not a regular file",
                "keep only regular files of the app's modules in " + dir);
          }
          if (files.size() >= limits.maxFiles()) {
            throw new InvalidRequestException("app", dir + " holds more than " + limits.maxFiles() + " module files",
                "bundle the app, or raise WorkerApp.DirectoryLimits.maxFiles");
          }
          if (targetAttrs.size() > limits.maxFileBytes()) {
            throw new InvalidRequestException("app", Untrusted.quote(rel) + " is " + targetAttrs.size()
                + " bytes, over the " + limits.maxFileBytes() + "-byte limit for one file",
                "move large assets to storage, or raise WorkerApp.DirectoryLimits.maxFileBytes");
          }
          files.put(rel, target);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read app directory " + dir, e);
    }
    long total = 0;
    for (Map.Entry<String, Path> e : files.entrySet()) {
      byte[] content = readAtMost(e.getValue(), limits.maxFileBytes(), e.getKey());
      total += content.length;
      if (total > limits.maxTotalBytes()) {
        throw new InvalidRequestException("app", dir + " holds more than " + limits.maxTotalBytes()
            + " bytes of modules", "bundle and minify the app, or raise WorkerApp.DirectoryLimits.maxTotalBytes");
      }
      b.module(e.getKey(), content);
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

  private static boolean skipped(String name) {
    return name.startsWith(".") || name.equals("node_modules");
  }

  /** The module path of {@code file}: its names under {@code root} joined by '/', whatever the platform. */
  private static String modulePath(Path root, Path file) {
    StringBuilder sb = new StringBuilder();
    for (Path part : root.relativize(file)) {
      if (sb.length() > 0) {
        sb.append('/');
      }
      sb.append(part);
    }
    return sb.toString();
  }

  /** Reads a regular file without following a link, and never more than {@code max} bytes. */
  private static byte[] readAtMost(Path file, long max, String rel) {
    try (SeekableByteChannel ch = Files.newByteChannel(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
         InputStream in = Channels.newInputStream(ch)) {
      byte[] content = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
      if (content.length > max) {
        throw new InvalidRequestException("app", Untrusted.quote(rel) + " grew over the " + max
            + "-byte limit for one file while it was read", "read the app when nothing is writing to it");
      }
      return content;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
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

  /**
   * What {@link #fromDirectory(Path, DirectoryLimits)} reads at most. Defaults:
   * {@link #DEFAULT_MAX_FILES} files, {@link #DEFAULT_MAX_FILE_BYTES} bytes a file,
   * {@link WorkerApp#MAX_TOTAL_BYTES} bytes in all.
   *
   * <pre>{@code
   * WorkerApp.fromDirectory(dir, WorkerApp.DirectoryLimits.defaults().withMaxFiles(5000));
   * }</pre>
   *
   * @param maxFiles the most module files read
   * @param maxFileBytes the largest file read
   * @param maxTotalBytes the most bytes read in all
   */
  public record DirectoryLimits(int maxFiles, long maxFileBytes, long maxTotalBytes) {
    /** Module files read unless configured otherwise. */
    public static final int DEFAULT_MAX_FILES = 1000;
    /** The largest module file read unless configured otherwise: 5 MiB. */
    public static final long DEFAULT_MAX_FILE_BYTES = 5L * 1024 * 1024;

    public DirectoryLimits {
      if (maxFiles < 1) {
        throw new InvalidRequestException("maxFiles", "must be at least 1 (was " + maxFiles + ")", "pass 1000");
      }
      if (maxFileBytes < 1 || maxFileBytes > MAX_TOTAL_BYTES) {
        throw new InvalidRequestException("maxFileBytes", "must be 1 to " + MAX_TOTAL_BYTES + " (was " + maxFileBytes
            + ")", "pass a size such as 5 MiB");
      }
      if (maxTotalBytes < 1 || maxTotalBytes > MAX_TOTAL_BYTES) {
        throw new InvalidRequestException("maxTotalBytes", "must be 1 to " + MAX_TOTAL_BYTES + " (was "
            + maxTotalBytes + "), the most an upload may hold", "pass at most " + MAX_TOTAL_BYTES);
      }
    }

    /** The defaults. */
    public static DirectoryLimits defaults() {
      return new DirectoryLimits(DEFAULT_MAX_FILES, DEFAULT_MAX_FILE_BYTES, MAX_TOTAL_BYTES);
    }

    public DirectoryLimits withMaxFiles(int n) {
      return new DirectoryLimits(n, maxFileBytes, maxTotalBytes);
    }

    public DirectoryLimits withMaxFileBytes(long n) {
      return new DirectoryLimits(maxFiles, n, maxTotalBytes);
    }

    public DirectoryLimits withMaxTotalBytes(long n) {
      return new DirectoryLimits(maxFiles, maxFileBytes, n);
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

    /**
     * Adds a module with an explicit content type. The path is also the name of its part in the
     * upload, so it must be a plain relative path: 1 to {@value #MAX_MODULE_PATH_CHARS} characters,
     * segments separated by {@code /}, none empty, {@code .} or {@code ..}; no leading {@code /} or
     * drive letter; no backslash, quote, control character (CR, LF, NUL …) or invisible format
     * character.
     */
    public Builder module(String path, byte[] content, String contentType) {
      checkModulePath(path);
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

    private static void checkModulePath(@Nullable String path) {
      String problem = null;
      if (path == null || path.isBlank()) {
        problem = "is empty";
      } else if (path.length() > MAX_MODULE_PATH_CHARS) {
        problem = "is longer than " + MAX_MODULE_PATH_CHARS + " characters";
      } else if (path.startsWith("/") || path.matches("(?s)[A-Za-z]:.*")) {
        problem = "is an absolute path";
      } else if (path.chars().anyMatch(c -> c == '\\' || c == '"' || c == '\'' || c == '`')) {
        problem = "contains a backslash or a quote";
      } else if (path.codePoints().anyMatch(c -> Character.isISOControl(c) || Character.getType(c) == Character.FORMAT
          || Character.getType(c) == Character.LINE_SEPARATOR || Character.getType(c) == Character.PARAGRAPH_SEPARATOR
          || Character.getType(c) == Character.SURROGATE)) {
        problem = "contains a control or invisible character (such as CR, LF or NUL)";
      } else {
        for (String seg : path.split("/", -1)) {
          if (seg.isEmpty() || seg.equals(".") || seg.equals("..")) {
            problem = "has an empty, '.' or '..' segment";
            break;
          }
        }
      }
      if (problem != null) {
        throw new InvalidRequestException("module", "path " + Untrusted.quote(path) + " " + problem
            + ": it must be a relative path inside the app", "use a relative path such as \"index.js\" or \"lib/util.js\"");
      }
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
