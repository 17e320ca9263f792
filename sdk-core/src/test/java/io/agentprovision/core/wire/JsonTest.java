package io.agentprovision.core.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
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
}
