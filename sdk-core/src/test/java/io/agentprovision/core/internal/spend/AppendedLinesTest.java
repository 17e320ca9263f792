package io.agentprovision.core.internal.spend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.channels.FileChannel;
import java.nio.channels.NonWritableChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The append and catch-up the file spend ledger and the file velocity counts share. */
class AppendedLinesTest {
  @TempDir
  Path dir;

  @Test
  void append_writesTheHeaderBeforeTheFirstLineOnly_andCatchUpReadsThemBack() throws Exception {
    Path f = dir.resolve("events.jsonl");
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.READ,
        StandardOpenOption.WRITE)) {
      long end = AppendedLines.append(ch, 0, "agentprovision-test", 1, Map.of("op", "a"));
      end = AppendedLines.append(ch, end, "agentprovision-test", 1, Map.of("op", "b"));

      assertThat(end).isEqualTo(Files.size(f));
      List<String> read = new ArrayList<>();
      assertThat(AppendedLines.catchUp(ch, f, "the test file", 0, (line, offset) -> read.add(line))).isEqualTo(end);
      assertThat(read).containsExactly("{\"format\":\"agentprovision-test\",\"op\":\"open\",\"version\":1}",
          "{\"op\":\"a\"}", "{\"op\":\"b\"}");
      AppendedLines.requireHeader(Map.of("op", "open", "format", "agentprovision-test", "version", 1L),
          "agentprovision-test", 1);
      assertThatThrownBy(() -> AppendedLines.requireHeader(Map.of("op", "open", "format", "agentprovision-test",
          "version", 2L), "agentprovision-test", 1)).hasMessageContaining("not a version-1 agentprovision-test");
    }
  }

  @Test
  void append_thatCannotWrite_throwsAndLeavesTheFileAsItWas() throws Exception {
    Path f = dir.resolve("events.jsonl");
    long end;
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.READ,
        StandardOpenOption.WRITE)) {
      end = AppendedLines.append(ch, 0, "agentprovision-test", 1, Map.of("op", "a"));
    }
    String before = Files.readString(f);
    try (FileChannel readOnly = FileChannel.open(f, StandardOpenOption.READ)) {
      long from = end;
      assertThatThrownBy(() -> AppendedLines.append(readOnly, from, "agentprovision-test", 1, Map.of("op", "b")))
          .isInstanceOf(NonWritableChannelException.class);
    }
    assertThat(Files.readString(f)).isEqualTo(before);
  }
}
