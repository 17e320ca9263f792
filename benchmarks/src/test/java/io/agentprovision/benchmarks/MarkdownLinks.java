package io.agentprovision.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * Checks that the relative links of a repository's Markdown files resolve inside the repository: the
 * file (or directory) exists, and an {@code #anchor} into a Markdown file names one of its headings,
 * slugged as GitHub renders them. Links with a scheme ({@code https:}, {@code mailto:}) are not
 * followed; a relative link that leaves the repository is broken, since a reader of the published
 * repository has nothing there to follow it to.
 */
final class MarkdownLinks {
  /** A link that does not resolve, where it is written, and why. */
  record Broken(Path file, int line, String target, String problem) {
    @Override
    public String toString() {
      return file + ":" + line + ": (" + target + ") " + problem;
    }
  }

  private static final Pattern FENCE = Pattern.compile("^ {0,3}(`{3,}|~{3,})");
  private static final Pattern HEADING = Pattern.compile("^ {0,3}(#{1,6})(?:[ \\t]+(.*?))?(?:[ \\t]+#+)?[ \\t]*$");
  private static final Pattern CODE_SPAN = Pattern.compile("(`+)(.+?)\\1");
  private static final Pattern INLINE_LINK = Pattern.compile("!?\\[([^\\]]*)\\]\\([^)]*\\)");
  private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*:");

  private final Path root;
  private final Map<Path, Set<String>> anchors = new HashMap<>();

  MarkdownLinks(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  /**
   * The repository's root, found from a directory inside it (a module's directory, where the build
   * runs a module's tests): the nearest directory upwards that holds the Maven wrapper and a README.
   */
  static Path repositoryRoot(Path from) {
    for (Path dir = from.toAbsolutePath().normalize(); dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve("mvnw")) && Files.isRegularFile(dir.resolve("README.md"))
          && Files.isRegularFile(dir.resolve("pom.xml"))) {
        return dir;
      }
    }
    throw new IllegalStateException("no repository root (mvnw, pom.xml and README.md) above " + from);
  }

  /**
   * Every Markdown file of the repository, build output and hidden directories left out (the build's
   * {@code target/} holds copies, and hidden ones are tools' state, not documentation).
   */
  List<Path> markdownFiles() {
    try (Stream<Path> files = Files.walk(root)) {
      return files.filter(p -> p.getFileName().toString().endsWith(".md"))
          .filter(Files::isRegularFile)
          .filter(p -> {
            Path rel = root.relativize(p);
            for (int i = 0; i < rel.getNameCount() - 1; i++) {
              String part = rel.getName(i).toString();
              if (part.equals("target") || part.equals("node_modules") || part.startsWith(".")) {
                return false;
              }
            }
            return true;
          })
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The broken links of every Markdown file of the repository. */
  List<Broken> check() {
    List<Broken> broken = new ArrayList<>();
    for (Path file : markdownFiles()) {
      broken.addAll(check(file));
    }
    return broken;
  }

  /** The broken links of one file, each with its line (1-based) as written. */
  List<Broken> check(Path file) {
    Path rel = root.relativize(file.toAbsolutePath().normalize());
    List<Broken> broken = new ArrayList<>();
    List<String> lines = read(file);
    Fences fences = new Fences();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (fences.code(line)) {
        continue;
      }
      for (String target : targets(line)) {
        String problem = problem(file, target);
        if (problem != null) {
          broken.add(new Broken(rel, i + 1, target, problem));
        }
      }
    }
    return broken;
  }

  /** The targets of a line's inline links and images, outside code spans. */
  static List<String> targets(String line) {
    String text = blankCodeSpans(line);
    List<String> targets = new ArrayList<>();
    int from = 0;
    while (true) {
      int open = text.indexOf("](", from);
      if (open < 0) {
        return targets;
      }
      int start = open + 2;
      int depth = 0;
      int end = -1;
      for (int j = start; j < text.length(); j++) {
        char c = text.charAt(j);
        if (c == '\\' && j + 1 < text.length()) {
          j++;
        } else if (c == '(') {
          depth++;
        } else if (c == ')') {
          if (depth == 0) {
            end = j;
            break;
          }
          depth--;
        }
      }
      if (end < 0) {
        return targets;
      }
      String target = text.substring(start, end).strip();
      if (target.startsWith("<") && target.contains(">")) {
        target = target.substring(1, target.indexOf('>'));
      } else {
        int space = target.indexOf(' ');
        if (space >= 0) {
          target = target.substring(0, space); // a title follows
        }
      }
      if (!target.isEmpty()) {
        targets.add(target);
      }
      from = end + 1;
    }
  }

  private String problem(Path file, String target) {
    if (target.regionMatches(true, 0, "file:", 0, 5)) {
      return "points outside the repository (a file: URL names a path on one machine)";
    }
    if (SCHEME.matcher(target).find() || target.startsWith("//")) {
      return null; // another site: not this repository's to check
    }
    int hash = target.indexOf('#');
    String pathPart = hash < 0 ? target : target.substring(0, hash);
    String anchor = hash < 0 ? null : target.substring(hash + 1);
    int query = pathPart.indexOf('?');
    if (query >= 0) {
      pathPart = pathPart.substring(0, query);
    }
    Path resolved;
    if (pathPart.isEmpty()) {
      resolved = file.toAbsolutePath().normalize();
    } else {
      String decoded = URLDecoder.decode(pathPart.replace("+", "%2B"), StandardCharsets.UTF_8);
      // GitHub reads a link starting with "/" from the repository's root.
      resolved = decoded.startsWith("/")
          ? root.resolve(decoded.substring(1)).normalize()
          : file.toAbsolutePath().getParent().resolve(decoded).normalize();
    }
    if (!resolved.startsWith(root)) {
      return "points outside the repository";
    }
    if (!Files.exists(resolved)) {
      return "no such file: " + root.relativize(resolved)
          + (pathPart.startsWith("/") ? " (a link starting with / is read from the repository's root)" : "");
    }
    if (anchor != null && !anchor.isEmpty() && resolved.getFileName().toString().endsWith(".md")
        && Files.isRegularFile(resolved)) {
      String wanted = URLDecoder.decode(anchor.replace("+", "%2B"), StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
      if (!anchors(resolved).contains(wanted)) {
        return "no heading #" + anchor + " in " + root.relativize(resolved);
      }
    }
    return null;
  }

  private Set<String> anchors(Path markdown) {
    return anchors.computeIfAbsent(markdown, MarkdownLinks::headingAnchors);
  }

  /** Where a file's fenced code blocks are, line by line: their lines hold neither links nor headings. */
  private static final class Fences {
    private @Nullable String open;

    /** Whether {@code line}, the next line of the file, opens or closes a fenced block or lies inside one. */
    boolean code(String line) {
      Matcher f = FENCE.matcher(line);
      if (!f.find()) {
        return open != null;
      }
      String marker = f.group(1);
      if (open == null) {
        open = marker;
      } else if (marker.charAt(0) == open.charAt(0) && marker.length() >= open.length()
          && line.strip().length() == marker.length()) {
        // a fence closes only on a run of the same character at least as long as the opening one
        open = null;
      }
      return true;
    }
  }

  /** The anchors GitHub gives a file's headings, in order, a repeated one suffixed -1, -2... */
  static Set<String> headingAnchors(Path markdown) {
    Set<String> seen = new HashSet<>();
    Map<String, Integer> occurrences = new HashMap<>();
    Fences fences = new Fences();
    for (String line : read(markdown)) {
      if (fences.code(line)) {
        continue;
      }
      Matcher h = HEADING.matcher(line);
      if (h.matches()) {
        seen.add(unique(slug(h.group(2) == null ? "" : h.group(2)), occurrences));
      }
    }
    return seen;
  }

  // As github-slugger: the first use of a slug is bare, later ones take -1, -2... skipping any taken.
  private static String unique(String slug, Map<String, Integer> occurrences) {
    String result = slug;
    if (occurrences.containsKey(slug)) {
      int n = occurrences.get(slug);
      do {
        n++;
        result = slug + "-" + n;
      } while (occurrences.containsKey(result));
      occurrences.put(slug, n);
    }
    occurrences.put(result, 0);
    return result;
  }

  /**
   * A heading's anchor as GitHub makes it: the rendered text (a link's text, not its target; code
   * spans' text), lower-cased, every character but letters, digits, marks, {@code -} and {@code _}
   * and spaces dropped, each space a {@code -}.
   */
  static String slug(String heading) {
    String text = INLINE_LINK.matcher(heading).replaceAll(m -> Matcher.quoteReplacement(m.group(1)));
    text = CODE_SPAN.matcher(text).replaceAll(m -> Matcher.quoteReplacement(m.group(2)));
    StringBuilder slug = new StringBuilder();
    text.strip().toLowerCase(Locale.ROOT).codePoints().forEach(c -> {
      if (c == ' ') {
        slug.append('-');
      } else if (c == '-' || c == '_' || Character.isLetterOrDigit(c) || isMark(c)) {
        slug.appendCodePoint(c);
      }
    });
    return slug.toString();
  }

  private static boolean isMark(int c) {
    int type = Character.getType(c);
    return type == Character.NON_SPACING_MARK || type == Character.ENCLOSING_MARK
        || type == Character.COMBINING_SPACING_MARK;
  }

  private static String blankCodeSpans(String line) {
    // Spaces keep the columns; a link written inside a code span is an example, not a link.
    return CODE_SPAN.matcher(line).replaceAll(m -> " ".repeat(m.group().length()));
  }

  private static List<String> read(Path file) {
    try {
      return Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
