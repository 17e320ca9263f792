package io.agentprovision.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.benchmarks.MarkdownLinks.Broken;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The repository's documentation stands alone: every relative link of its Markdown files (the
 * README, {@code docs/}, this module's baseline and every module's notes) reaches a file of the
 * repository, and an anchor reaches a heading. Benchmark figures are quoted across these files by
 * anchor, so a renamed heading would otherwise leave a reader at the top of a 3,000-line page.
 */
class DocLinksTest {
  @Test
  void everyRelativeLinkOfTheRepository_reachesAFileAndAHeadingInIt() {
    Path root = MarkdownLinks.repositoryRoot(Path.of(System.getProperty("user.dir")));
    MarkdownLinks links = new MarkdownLinks(root);

    assertThat(links.markdownFiles()).as("the files checked")
        .contains(root.resolve("README.md"), root.resolve("docs/BENCHMARKS.md"), root.resolve("benchmarks/baseline.md"));
    List<Broken> broken = links.check();

    assertThat(broken).as(() -> "broken links, as file:line: (link) why\n"
        + broken.stream().map(Broken::toString).collect(Collectors.joining("\n"))).isEmpty();
  }

  @Test
  void check_whenALinkIsBroken_namesTheFileTheLineAndTheLink(@TempDir Path repo) throws IOException {
    plantRepository(repo);
    write(repo, "docs/guide.md", """
        # Guide

        See [the figures](BENCHMARKS.md#the-figures) and [the baseline](../bench/baseline.md).
        A [missing file](BENCHMARK.md), a [missing heading](BENCHMARKS.md#the-figure),
        and [the design](../../shared/DESIGN.md) kept outside the repository.
        [Fine](https://example.com/x.md#nowhere) [Also fine](#guide) [Not fine](#guides)
        [From the root](/docs/BENCHMARKS.md#the-figures), [a machine's path](/work/shared/DESIGN.md),
        [a machine's file](file:///work/shared/DESIGN.md).
        """);

    List<Broken> broken = new MarkdownLinks(repo).check();

    assertThat(broken).extracting(Broken::toString).containsExactly(
        Path.of("docs/guide.md") + ":4: (BENCHMARK.md) no such file: " + Path.of("docs/BENCHMARK.md"),
        Path.of("docs/guide.md") + ":4: (BENCHMARKS.md#the-figure) no heading #the-figure in "
            + Path.of("docs/BENCHMARKS.md"),
        Path.of("docs/guide.md") + ":5: (../../shared/DESIGN.md) points outside the repository",
        Path.of("docs/guide.md") + ":6: (#guides) no heading #guides in " + Path.of("docs/guide.md"),
        Path.of("docs/guide.md") + ":7: (/work/shared/DESIGN.md) no such file: " + Path.of("work/shared/DESIGN.md")
            + " (a link starting with / is read from the repository's root)",
        Path.of("docs/guide.md") + ":8: (file:///work/shared/DESIGN.md) points outside the repository"
            + " (a file: URL names a path on one machine)");
  }

  @Test
  void check_readsAnchorsAsGitHubSlugsThem(@TempDir Path repo) throws IOException {
    plantRepository(repo);
    write(repo, "docs/rounds.md", """
        # Rounds
        ## Round 5: the fleet, 1.05–1.22× (2026-12-06, 19:08–19:40 UTC)
        ## In-memory ledger, round 7 (2026-12-06/07, 23:39–00:41 UTC)
        ## `FlowLatency` and [the naive client](../README.md)
        ## Rerunning
        ## Rerunning
        ## Rerunning ##
        ```sh
        # not a heading: a shell comment
        ```
        [a](#round-5-the-fleet-105122-2026-12-06-19081940-utc)
        [b](#in-memory-ledger-round-7-2026-12-0607-23390041-utc)
        [c](#flowlatency-and-the-naive-client)
        [d](#rerunning) [e](#rerunning-1) [f](#rerunning-2) [g](#rerunning-3)
        [h](#not-a-heading-a-shell-comment)
        `[not a link](nowhere.md)`
        ```
        [in a code block](nowhere.md)
        ```
        """);

    List<Broken> broken = new MarkdownLinks(repo).check();

    assertThat(broken).extracting(Broken::line, Broken::target)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(14, "#rerunning-3"),
            org.assertj.core.groups.Tuple.tuple(15, "#not-a-heading-a-shell-comment"));
  }

  @Test
  void repositoryRoot_isFoundFromAModulesDirectory(@TempDir Path repo) throws IOException {
    plantRepository(repo);
    Files.createDirectories(repo.resolve("benchmarks/src"));

    assertThat(MarkdownLinks.repositoryRoot(repo.resolve("benchmarks/src"))).isEqualTo(repo.toAbsolutePath().normalize());
  }

  private static void plantRepository(Path repo) throws IOException {
    write(repo, "mvnw", "#!/bin/sh\n");
    write(repo, "pom.xml", "<project/>\n");
    write(repo, "README.md", "# Project\n\n[Figures](docs/BENCHMARKS.md#the-figures)\n");
    write(repo, "docs/BENCHMARKS.md", "# Benchmarks\n\n## The figures\n");
    write(repo, "bench/baseline.md", "# Baseline\n");
    write(repo, "bench/target/copy.md", "[stale copy](nowhere.md)\n");
  }

  private static void write(Path repo, String path, String text) throws IOException {
    Path file = repo.resolve(path);
    Files.createDirectories(file.getParent());
    Files.writeString(file, text);
  }
}
