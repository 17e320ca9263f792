package io.agentprovision.core.internal.vault;

import io.agentprovision.core.wire.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/** A version-2 vault file's lines, to read and edit as someone with write access to the file would. */
final class VaultFile {
  final Path file;
  /** Every line, the header first, without their newlines. */
  final List<String> lines;

  private VaultFile(Path file, List<String> lines) {
    this.file = file;
    this.lines = lines;
  }

  static VaultFile read(Path file) throws Exception {
    String text = Files.readString(file, StandardCharsets.UTF_8);
    if (!text.endsWith("\n")) {
      throw new AssertionError("the file ends in a torn line");
    }
    return new VaultFile(file, new ArrayList<>(Arrays.asList(text.substring(0, text.length() - 1).split("\n", -1))));
  }

  /** The CRC-32C of a line's JSON, as the line starts. */
  static String check(String json) {
    CRC32C c = new CRC32C();
    c.update(json.getBytes(StandardCharsets.UTF_8));
    return String.format("%08x", c.getValue());
  }

  /** A line holding {@code json}, its check matching. */
  static String line(Map<String, Object> json) {
    String j = Json.canonical(json);
    return check(j) + " " + j;
  }

  int lastRecordOf(String name) {
    for (int i = lines.size() - 1; i > 0; i--) {
      if (name.equals(json(i).get("name"))) {
        return i;
      }
    }
    throw new AssertionError("no record of " + name);
  }

  Map<String, Object> json(int i) {
    return Json.parseObject(lines.get(i).substring(9));
  }

  void set(int i, Map<String, Object> json) {
    lines.set(i, line(json));
  }

  void add(Map<String, Object> json) {
    lines.add(line(json));
  }

  String text() {
    return String.join("\n", lines) + "\n";
  }

  void write() throws Exception {
    Files.writeString(file, text(), StandardCharsets.UTF_8);
  }
}
