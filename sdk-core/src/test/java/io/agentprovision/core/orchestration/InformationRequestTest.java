package io.agentprovision.core.orchestration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Money;
import io.agentprovision.core.orchestration.InformationRequest.Choice;
import io.agentprovision.core.wire.Json;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InformationRequestTest {
  @Test
  void fromSchema_readsOneOfChoicesWithTheirPricesAndAvailability() {
    Map<String, Object> schema = Json.parseObject("""
        {"type":"object","required":["domain"],"properties":{"domain":{"type":"string","oneOf":[
          {"const":"my-app.com","title":"my-app.com — USD 10.44/yr","x-price":{"amount":1044,"currency":"USD"}},
          {"const":"my-app.dev","x-pricing":{"registration_cost":"12.00","renewal_cost":"12.00","currency":"usd"}},
          {"const":"my-app.io","x-available":false,"x-price":{"amount":3900,"currency":"USD"}},
          {"const":"my-app.net"}
        ]}}}
        """);

    InformationRequest req = InformationRequest.fromSchema(schema);

    assertThat(req.choices()).containsExactly(
        new Choice("domain", "my-app.com", "my-app.com — USD 10.44/yr", Money.usd("10.44"), true),
        new Choice("domain", "my-app.dev", null, Money.usd("12.00"), true),
        new Choice("domain", "my-app.io", null, Money.usd("39.00"), false),
        new Choice("domain", "my-app.net", null, null, true));
    assertThat(req.schema()).containsEntry("type", "object");
    assertThat(req.choicesFor("domain")).hasSize(4);
    assertThat(req.choicesFor("years")).isEmpty();
  }

  @Test
  void fromSchema_readsEnumChoices() {
    Map<String, Object> schema = Json.parseObject("""
        {"properties":{"region":{"type":"string","enum":["weur","enam",null]},"years":{"type":"integer","enum":[1,2]}}}
        """);

    InformationRequest req = InformationRequest.fromSchema(schema);

    assertThat(req.choicesFor("region")).extracting(Choice::value).containsExactly("weur", "enam");
    assertThat(req.choicesFor("years")).extracting(Choice::value).containsExactly("1", "2");
    assertThat(req.choicesFor("region")).allSatisfy(c -> {
      assertThat(c.price()).isNull();
      assertThat(c.available()).isTrue();
    });
  }

  @Test
  void fromSchema_toleratesShapesItDoesNotKnow() {
    Map<String, Object> schema = Json.parseObject("""
        {"type":"object","title":null,"properties":{
          "free_text":{"type":"string","maxLength":40},
          "weird":"not an object",
          "nested":{"type":"object","properties":{"x":{"enum":["a"]}}},
          "options":{"oneOf":[{"title":"no const"},"a string",{"const":"ok","x-price":{"amount":"12","currency":"USD"}}]},
          "anyOf":{"anyOf":[{"const":"x"}]}
        }}
        """);

    InformationRequest req = InformationRequest.fromSchema(schema);

    assertThat(req.choices()).containsExactly(new Choice("options", "ok", null, null, true));
    assertThat(InformationRequest.fromSchema(Map.of()).choices()).isEmpty();
    assertThat(InformationRequest.fromSchema(Map.of("properties", "nope")).choices()).isEmpty();
  }

  @Test
  void fromSchema_whenADecimalPriceIsNotExact_refusesNamingTheField() {
    Map<String, Object> schema = Json.parseObject("""
        {"properties":{"domain":{"oneOf":[{"const":"a.com","x-pricing":{"registration_cost":"10.444","currency":"USD"}}]}}}
        """);

    assertThatThrownBy(() -> InformationRequest.fromSchema(schema)).isInstanceOfSatisfying(InvalidRequestException.class,
        e -> assertThat(e.field()).isEqualTo("x-pricing.registration_cost"));
  }
}
