package io.agentprovision.core.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.InvalidRequestException;
import java.util.List;
import java.util.Map;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.Test;

class JsonSchemasTest {
  private static final Map<String, Object> ORDER = Map.of("type", "object", "required", List.of("name", "items"),
      "additionalProperties", false, "properties", Map.of(
          "name", Map.of("type", "string", "pattern", "^[a-z]+$"),
          "items", Map.of("type", "array", "items", Map.of("type", "object", "required", List.of("sku"),
              "properties", Map.of("sku", Map.of("type", "string"), "qty", Map.of("type", "integer", "minimum", 1)))),
          "express", Map.of("type", "boolean")));

  @Test
  void check_namesEachViolationByItsPath() {
    List<JsonSchemas.Violation> v = JsonSchemas.check(ORDER, Map.of("name", "Bad Name",
        "items", List.of(Map.of("sku", "a", "qty", 0), Map.of("qty", 2)), "gift", true));

    assertThat(v).extracting(JsonSchemas.Violation::path)
        .containsExactlyInAnyOrder(".name", ".items[0].qty", ".items[1].sku", ".gift");
    assertThat(v).extracting(JsonSchemas.Violation::keyword)
        .containsExactlyInAnyOrder("pattern", "minimum", "required", "additionalProperties");
    assertThat(JsonSchemas.check(ORDER, Map.of("name", "ok", "items", List.of(Map.of("sku", "a"))))).isEmpty();
  }

  @Test
  void require_throwsAnInvalidRequestNamingTheFirstField_andMentionsTheOthers() {
    assertThatThrownBy(() -> JsonSchemas.require(ORDER, Map.of("items", List.of(), "express", "yes"), "order",
        "fix the order")).isInstanceOfSatisfying(InvalidRequestException.class, e -> {
          assertThat(e.field()).isIn("order.name", "order.express");
          assertThat(e.getMessage()).contains("order.name").contains("order.express");
          assertThat(e.fix()).isEqualTo("fix the order");
        });
    assertThatThrownBy(() -> JsonSchemas.require(ORDER, "not an object", "order", "x"))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("order"));
  }

  @Test
  void anEmptySchema_acceptsAnything_andAnOlderDialectIsReadFromItsOwnCopy() {
    assertThat(JsonSchemas.check(Map.of(), Map.of("anything", List.of(1, 2)))).isEmpty();
    Map<String, Object> draft7 = Map.of("$schema", "http://json-schema.org/draft-07/schema#", "type", "object",
        "properties", Map.of("n", Map.of("type", "integer")));
    assertThat(JsonSchemas.check(draft7, Map.of("n", "one"))).extracting(JsonSchemas.Violation::path)
        .containsExactly(".n");
  }

  @Test
  void aSchemaReferringElsewhere_isUnusable_andNothingIsFetched() throws Exception {
    try (MockWebServer server = new MockWebServer()) {
      server.enqueue(new MockResponse.Builder().body("{\"type\":\"string\"}").build());
      server.start();
      Map<String, Object> remote = Map.of("type", "object", "properties",
          Map.of("name", Map.of("$ref", server.url("/name.json").toString())));

      assertThatThrownBy(() -> JsonSchemas.check(remote, Map.of("name", 5)))
          .isInstanceOf(JsonSchemas.UnusableSchemaException.class);
      assertThat(server.getRequestCount()).isZero();
    }
  }

  @Test
  void aMalformedSchema_isUnusable_notPermissive() {
    assertThatThrownBy(() -> JsonSchemas.check(Map.of("type", "object", "properties", Map.of("n",
        Map.of("type", "integr"))), Map.of("n", 1))).isInstanceOf(JsonSchemas.UnusableSchemaException.class);
  }
}
