package io.agentprovision.core.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.squareup.moshi.FromJson;
import com.squareup.moshi.Json;
import com.squareup.moshi.JsonAdapter;
import com.squareup.moshi.JsonDataException;
import com.squareup.moshi.JsonQualifier;
import com.squareup.moshi.Moshi;
import com.squareup.moshi.ToJson;
import com.squareup.moshi.Types;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * The SDK's record binding ({@link WireRecords#records()}) reads and writes what moshi's own record
 * adapter reads and writes, and fails where it fails with the same message: every answer of the
 * wire tests is read through it, so a difference here would change what a provider's answer means.
 */
public class RecordBindingTest {
  @Retention(RetentionPolicy.RUNTIME)
  @JsonQualifier
  @interface Shouted {}

  /** Upper-cases a {@link Shouted} string on the way in, lower-cases it on the way out. */
  static final class ShoutedAdapter {
    @FromJson
    @Shouted
    String in(String s) {
      return s.toUpperCase(java.util.Locale.ROOT);
    }

    @ToJson
    String out(@Shouted String s) {
      return s.toLowerCase(java.util.Locale.ROOT);
    }
  }

  public record Item(String id, @Json(name = "unit_amount") long amount, @Nullable Boolean live) {}

  public record Answer(@Json(name = "object") String kind, int count, double ratio, List<Item> data,
      Map<String, String> metadata, @Shouted @Nullable String code, @Nullable Item first) {}

  public record Box<T>(T value) {}

  public record Conflict(@Json(name = "a") String x, @Json(name = "a") String y) {}

  public record Token(@WireRecords.Required String id, @Nullable String status) {}

  public record Refusing(String id) {
    public Refusing {
      if (id.isEmpty()) {
        throw new IllegalArgumentException("empty id");
      }
    }
  }

  private static final Moshi MOSHI = new Moshi.Builder().add(new ShoutedAdapter()).build();
  private static final Moshi OURS = new Moshi.Builder().add(new ShoutedAdapter()).addLast(WireRecords.records()).build();

  private static final String ANSWER = "{\"object\":\"list\",\"count\":2,\"ratio\":0.5,\"extra\":{\"nested\":[1,2]},"
      + "\"data\":[{\"id\":\"a\",\"unit_amount\":1544,\"live\":true,\"id2\":\"x\"},{\"id\":\"b\",\"unit_amount\":0}],"
      + "\"metadata\":{\"k\":\"v\"},\"code\":\"abc\",\"first\":null}";

  @Test
  void readsAnAnswer_asMoshisOwnAdapterDoes_unknownMembersSkippedAndAbsentOnesNull() throws Exception {
    Answer ours = OURS.adapter(Answer.class).fromJson(ANSWER);
    Answer theirs = MOSHI.adapter(Answer.class).fromJson(ANSWER);

    assertThat(ours).isEqualTo(theirs);
    assertThat(ours.code()).isEqualTo("ABC");
    assertThat(ours.data().get(1).live()).isNull();
    assertThat(ours.data().get(0).amount()).isEqualTo(1544L);
    assertThat(OURS.adapter(Answer.class).toString()).as("the SDK's binding is the one in use")
        .contains("RecordBinding(Answer)");
  }

  @Test
  void writesARecord_asMoshisOwnAdapterDoes() {
    Answer a = new Answer("list", 1, 2.5, List.of(new Item("a", 7, null)), Map.of("k", "v"), "ABC", null);

    assertThat(OURS.adapter(Answer.class).toJson(a)).isEqualTo(MOSHI.adapter(Answer.class).toJson(a))
        .contains("\"unit_amount\":7").contains("\"code\":\"abc\"").doesNotContain("live");
  }

  @Test
  void anAbsentPrimitive_failsWithMoshisMessage_namingTheMemberAndItsJsonName() {
    String noAmount = "{\"id\":\"a\"}";
    String noCount = "{\"object\":\"list\",\"ratio\":1,\"data\":[],\"metadata\":{}}";

    assertThat(message(OURS.adapter(Item.class), noAmount)).isEqualTo(message(MOSHI.adapter(Item.class), noAmount))
        .isEqualTo("Required value 'amount' (JSON name 'unit_amount') missing at $");
    assertThat(message(OURS.adapter(Answer.class), noCount)).isEqualTo(message(MOSHI.adapter(Answer.class), noCount))
        .isEqualTo("Required value 'count' missing at $");
  }

  @Test
  void aValueOfTheWrongType_failsWithMoshisMessageAndPath() {
    String wrong = "{\"data\":[{\"id\":\"a\",\"unit_amount\":\"many\"}]}";

    assertThat(message(OURS.adapter(Answer.class), wrong)).isEqualTo(message(MOSHI.adapter(Answer.class), wrong))
        .contains("$.data[0].unit_amount");
  }

  @Test
  void aConstructorThatRefuses_failsAsMoshiFailsIt() {
    assertThatThrownBy(() -> OURS.adapter(Refusing.class).fromJson("{\"id\":\"\"}")).isInstanceOf(AssertionError.class)
        .hasRootCauseInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MOSHI.adapter(Refusing.class).fromJson("{\"id\":\"\"}")).isInstanceOf(AssertionError.class);
  }

  @Test
  void nullAndConflicts_asMoshi() throws Exception {
    assertThat(OURS.adapter(Item.class).fromJson("null")).isNull();
    assertThatThrownBy(() -> OURS.adapter(Conflict.class)).hasMessageContaining("Conflicting components");
    assertThatThrownBy(() -> MOSHI.adapter(Conflict.class)).hasMessageContaining("Conflicting components");
  }

  public record Page<T>(List<T> data, @Nullable T first, Map<String, ? extends List<T>> byKey, @Nullable Box<T> boxed) {}

  @Test
  void aGenericRecord_isBoundWithItsTypeArguments_asMoshiBindsIt() throws Exception {
    java.lang.reflect.Type type = Types.newParameterizedTypeWithOwner(RecordBindingTest.class, Page.class, Item.class);
    String json = "{\"data\":[{\"id\":\"a\",\"unit_amount\":3}],\"first\":{\"id\":\"b\",\"unit_amount\":4},"
        + "\"byKey\":{\"k\":[{\"id\":\"c\",\"unit_amount\":5}]},\"boxed\":{\"value\":{\"id\":\"d\",\"unit_amount\":6}}}";
    JsonAdapter<Page<Item>> ours = OURS.adapter(type);

    Page<Item> page = ours.fromJson(json);

    assertThat(page).isEqualTo(MOSHI.<Page<Item>>adapter(type).fromJson(json));
    assertThat(page.data().get(0)).isEqualTo(new Item("a", 3, null));
    assertThat(page.byKey().get("k").get(0).amount()).isEqualTo(5);
    assertThat(page.boxed()).isEqualTo(new Box<>(new Item("d", 6, null)));
    assertThat(ours.toString()).contains("RecordBinding(Page)");
    assertThat(ours.toJson(page)).isEqualTo(MOSHI.<Page<Item>>adapter(type).toJson(page));
  }

  @Test
  void wireRecords_stillCheckRequiredMembersBeforeTheBinding() {
    WireRecords wire = WireRecords.with();

    assertThat(wire.read(Token.class, "{\"id\":\"t_1\",\"more\":1}")).isEqualTo(new Token("t_1", null));
    assertThatThrownBy(() -> wire.read(Token.class, "{\"status\":\"ok\"}")).isInstanceOfSatisfying(
        WireFormatException.class, e -> assertThat(e.path()).isEqualTo("$.id"));
  }

  private static String message(JsonAdapter<?> adapter, String json) {
    try {
      adapter.fromJson(json);
    } catch (JsonDataException e) {
      return String.valueOf(e.getMessage());
    } catch (Exception e) {
      return "not a JsonDataException: " + e;
    }
    return "read without failing";
  }
}
