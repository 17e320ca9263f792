package io.agentprovision.core.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.squareup.moshi.JsonAdapter;
import com.squareup.moshi.JsonDataException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class JsonTest {
  @Test
  void string_whenTheMemberIsAStringOrAbsent_returnsItOrNull() {
    Map<String, Object> m = Json.parseObject("{\"a\":\"x\",\"n\":null}");

    assertThat(Json.string(m, "a")).isEqualTo("x");
    assertThat(Json.string(m, "n")).isNull();
    assertThat(Json.string(m, "missing")).isNull();
  }

  @Test
  void string_whenTheMemberHasAnotherType_refusesNamingItWithoutItsValue() {
    Map<String, Object> m = Json.parseObject("{\"id\":12345,\"ok\":true,\"o\":{\"secret\":\"sk_live_zzz\"}}");

    assertThatThrownBy(() -> Json.string(m, "id")).isInstanceOfSatisfying(JsonTypeException.class, e -> {
      assertThat(e.member()).isEqualTo("id");
      assertThat(e.expected()).isEqualTo("string");
      assertThat(e.found()).isEqualTo("number");
      assertThat(e.getMessage()).doesNotContain("12345");
    });
    assertThatThrownBy(() -> Json.string(m, "ok")).isInstanceOfSatisfying(JsonTypeException.class,
        e -> assertThat(e.found()).isEqualTo("boolean"));
    assertThatThrownBy(() -> Json.string(m, "o")).isInstanceOfSatisfying(JsonTypeException.class,
        e -> assertThat(e.getMessage()).doesNotContain("sk_live"));
  }

  @Test
  void appendCompact_keepsTheMapsOrder_andCanonical_sortsIt_bothReadBackAsTheSameValue() {
    Map<String, Object> inner = new LinkedHashMap<>();
    inner.put("z", 1.0);
    inner.put("a", null);
    Map<String, Object> value = new LinkedHashMap<>();
    value.put("b", "quote \" and\nline");
    value.put("a", Arrays.asList(2.5, true, inner));

    StringBuilder sb = new StringBuilder();
    Json.appendCompact(sb, value);

    assertThat(sb).hasToString("{\"b\":\"quote \\\" and\\nline\",\"a\":[2.5,true,{\"z\":1,\"a\":null}]}");
    assertThat(Json.canonical(value)).isEqualTo("{\"a\":[2.5,true,{\"a\":null,\"z\":1}],\"b\":\"quote \\\" and\\nline\"}");
    assertThat(Json.parseObject(sb.toString())).isEqualTo(Json.parseObject(Json.canonical(value)));
  }

  @Test
  void aNumberJsonCannotHold_isRefusedByBothWriters() {
    Map<String, Object> value = Map.of("x", Double.NaN);

    assertThatThrownBy(() -> Json.appendCompact(new StringBuilder(), value))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NaN");
    assertThatThrownBy(() -> Json.canonical(Map.of("x", Double.POSITIVE_INFINITY)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Infinity");
  }

  @Test
  void quote_everyCharacter_isWrittenAsBefore_andReadsBackAsItself() {
    // audit entries already written were hashed over these exact bytes: a quoted string must not change
    for (int c = 0; c <= 0xFFFF; c++) {
      String s = "a" + (char) c + "b" + (char) c;
      StringBuilder sb = new StringBuilder();
      Json.quote(sb, s);
      assertThat(sb.toString()).as("U+%04X", c).isEqualTo(quotedByTheFormerRule(s));
      if (!Character.isSurrogate((char) c)) {
        assertThat(Json.parse(sb.toString())).as("U+%04X", c).isEqualTo(s);
      }
    }
  }

  /** The rule the SDK quoted strings by, escape by escape, with the formatter it used for the others. */
  private static String quotedByTheFormerRule(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        case '\b' -> sb.append("\\b");
        case '\f' -> sb.append("\\f");
        default -> sb.append(c < 0x20 || c == 0x2028 || c == 0x2029 ? String.format("\\u%04x", (int) c)
            : String.valueOf(c));
      }
    }
    return sb.append('"').toString();
  }

  @Test
  void write_givesMoshisOwnText_forEveryKindOfValue() {
    // request bodies are written with Json.write: the bytes on the wire must be those moshi wrote
    JsonAdapter<Object> moshi = Json.moshi().adapter(Object.class).serializeNulls();
    Random random = new Random(16);
    for (int i = 0; i < 20_000; i++) {
      Object value = randomValue(random, 0);
      assertThat(Json.write(value)).as("%s", value).isEqualTo(moshi.toJson(value));
    }
  }

  @Test
  void write_leavesToMoshiWhatItRefuses_withMoshisError() {
    Map<String, Object> nullKey = new HashMap<>();
    nullKey.put(null, 1L);
    assertThatThrownBy(() -> Json.write(nullKey)).isInstanceOf(JsonDataException.class)
        .hasMessageContaining("Map key is null");
    List<Object> itself = new ArrayList<>();
    itself.add(itself);
    assertThatThrownBy(() -> Json.write(itself)).isInstanceOf(JsonDataException.class)
        .hasMessageContaining("Nesting too deep");
    assertThatThrownBy(() -> Json.write(Map.of("x", Double.NaN))).isInstanceOf(IllegalArgumentException.class);
  }

  /** Maps, lists and sets of strings with every escape and surrogates, numbers of each kind, booleans and nulls. */
  private static Object randomValue(Random r, int depth) {
    int kind = r.nextInt(depth > 3 ? 8 : 11);
    switch (kind) {
      case 0:
        return null;
      case 1:
        return r.nextLong();
      case 2:
        return r.nextInt();
      case 3:
        return r.nextBoolean();
      case 4:
        return (short) r.nextInt();
      case 5:
        return r.nextDouble() * 1000;
      case 6:
      case 7:
        return randomText(r);
      case 8: {
        Map<Object, Object> m = new LinkedHashMap<>();
        int n = r.nextInt(5);
        for (int i = 0; i < n; i++) {
          m.put(r.nextInt(20) == 0 ? (Object) (long) i : randomText(r), randomValue(r, depth + 1));
        }
        return m;
      }
      case 9: {
        List<Object> l = new ArrayList<>();
        int n = r.nextInt(5);
        for (int i = 0; i < n; i++) {
          l.add(randomValue(r, depth + 1));
        }
        return l;
      }
      default: {
        Set<Object> set = new LinkedHashSet<>();
        set.add(randomText(r));
        set.add(randomValue(r, depth + 1));
        return set;
      }
    }
  }

  private static String randomText(Random r) {
    String alphabet = "ab\"\\/\n\r\t\b\f\u0000\u001f\u007f\u2028\u2029é€\ud83d\ude00\ud800\udfff";
    StringBuilder sb = new StringBuilder();
    int n = r.nextInt(8);
    for (int i = 0; i < n; i++) {
      sb.append(alphabet.charAt(r.nextInt(alphabet.length())));
    }
    return sb.toString();
  }
}
