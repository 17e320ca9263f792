package io.agentprovision.tools.internal;

import io.agentprovision.core.wire.Json;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/** Canonical JSON (keys sorted, numbers as {@link Json#canonical} writes them) indented by two spaces, for files people diff. */
public final class PrettyJson {
  private PrettyJson() {}

  public static String write(@Nullable Object value) {
    StringBuilder sb = new StringBuilder();
    write(sb, value, "");
    return sb.append('\n').toString();
  }

  private static void write(StringBuilder sb, @Nullable Object v, String indent) {
    if (v instanceof Map<?, ?> m && !m.isEmpty()) {
      TreeMap<String, Object> sorted = new TreeMap<>();
      m.forEach((k, x) -> sorted.put(String.valueOf(k), x));
      sb.append("{\n");
      int i = 0;
      for (Map.Entry<String, Object> e : sorted.entrySet()) {
        sb.append(indent).append("  ");
        Json.quote(sb, e.getKey());
        sb.append(": ");
        write(sb, e.getValue(), indent + "  ");
        sb.append(++i < sorted.size() ? ",\n" : "\n");
      }
      sb.append(indent).append('}');
    } else if (v instanceof Collection<?> c && !c.isEmpty()) {
      sb.append("[\n");
      int i = 0;
      for (Object o : c) {
        sb.append(indent).append("  ");
        write(sb, o, indent + "  ");
        sb.append(++i < c.size() ? ",\n" : "\n");
      }
      sb.append(indent).append(']');
    } else {
      sb.append(Json.canonical(v));
    }
  }
}
