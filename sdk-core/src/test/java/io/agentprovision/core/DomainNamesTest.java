package io.agentprovision.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The shared domain-name rules: conversions, the display form, look-alikes and the host's options. */
class DomainNamesTest {
  private final DomainNames names = DomainNames.defaults();

  @Test
  void conversions_followIdna2008AndDisplayShowsBothForms() {
    assertThat(DomainNames.toAscii("Bücher.DE.")).isEqualTo("xn--bcher-kva.de");
    assertThat(DomainNames.toUnicode("xn--bcher-kva.de")).isEqualTo("bücher.de");
    assertThat(DomainNames.toUnicode("xn--pple-43d.org")).isEqualTo("\u0430pple.org");
    assertThat(DomainNames.display("xn--pple-43d.org")).isEqualTo("\u0430pple.org (xn--pple-43d.org)");
    assertThat(DomainNames.display("my-app.com")).isEqualTo("my-app.com");
    assertThat(DomainNames.display("bad\nname")).as("never throws; escapes what it cannot convert")
        .isEqualTo("\"bad\\nname\"");
  }

  @Test
  void lookalike_xnPple43dOrg_isACyrillicApple_refusedByDefault() {
    DomainNames.Lookalike l = names.lookalike("xn--pple-43d.org").orElseThrow();

    assertThat(l.kind()).isEqualTo(DomainNames.Kind.MIXED_SCRIPTS);
    assertThat(l.unicode()).isEqualTo("\u0430pple.org");
    assertThat(l.resembles()).isEqualTo("apple.org");
    assertThat(l.detail()).contains("Cyrillic").contains("Latin");
    assertThatThrownBy(() -> names.vet("domain", "xn--pple-43d.org"))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
          assertThat(e.field()).isEqualTo("domain");
          assertThat(e.problem()).contains("\u0430pple.org (xn--pple-43d.org)").contains("looks like \"apple.org\"");
          assertThat(e.fix()).contains("ASK_A_PERSON");
        });
  }

  @ParameterizedTest
  @CsvSource({"\u0430\u0440\u0435.com, WHOLE_SCRIPT_CONFUSABLE, ape.com",     // Cyrillic а р е
      "paypa1.com, PROTECTED_NAME, paypal.com", "g00gle.dev, PROTECTED_NAME, google.dev",
      "arnazon.shop, PROTECTED_NAME, amazon.shop", "my-\u0430pp.com, MIXED_SCRIPTS, my-app.com"})
  void lookalike_findsEachKind(String name, DomainNames.Kind kind, String resembles) {
    DomainNames.Lookalike l = names.lookalike(name).orElseThrow();

    assertThat(l.kind()).isEqualTo(kind);
    assertThat(l.resembles()).isEqualTo(resembles);
    assertThat(l.ascii()).isEqualTo(DomainNames.toAscii(name));
  }

  @ParameterizedTest
  @ValueSource(strings = {"my-app.com", "paypal.dev", "bücher.de", "日本語.jp", "中国abc.com", "пример.рф", "123.com",
      "münchen-ärzte.de"})
  void lookalike_whenTheNameIsItselfOrInOneScript_findsNothing(String name) {
    assertThat(names.lookalike(name)).isEmpty();
    assertThat(names.vet("domain", name)).isEmpty();
  }

  @Test
  void hostOptions_protectTheirOwnNames_askAPerson_andNarrowTheSuffixes() {
    DomainNames host = DomainNames.builder().addProtectedNames("mybank")
        .lookalikePolicy(DomainNames.LookalikePolicy.ASK_A_PERSON).publicSuffixes(List.of("com", "dev")).build();

    DomainNames.Lookalike l = host.vet("domain", "myb\u0430nk.com").orElseThrow();
    assertThat(l.kind()).isEqualTo(DomainNames.Kind.MIXED_SCRIPTS);
    assertThat(host.vet("domain", "mybank1.com")).isEmpty();
    assertThat(host.vet("domain", "rnybank.com").orElseThrow().resembles()).isEqualTo("mybank.com");
    assertThatThrownBy(() -> host.vet("domain", "my-app.org")).isInstanceOfSatisfying(InvalidRequestException.class,
        e -> assertThat(e.problem()).contains("known public suffix"));
    assertThat(host.toBuilder().build().protectedNames()).contains("mybank", "paypal");
    assertThat(DomainNames.builder().protectedNames(List.of()).build().lookalike("paypa1.com")).isEmpty();
    assertThatThrownBy(() -> DomainNames.builder().addProtectedNames("paypal.com"))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("protectedNames"));
    assertThatThrownBy(() -> DomainNames.builder().publicSuffixes(List.of("123")))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("publicSuffixes"));
  }

  @Test
  void builtInSuffixes_holdTheCommonTldsAndNoNumericOnes() {
    assertThat(DomainNames.builtInPublicSuffixes()).contains("com", "dev", "app", "io", "co.uk", "xn--p1ai", "de")
        .doesNotContain("localhost", "local", "internal", "test", "example", "invalid", "onion");
    assertThat(DomainNames.builtInPublicSuffixes()).allSatisfy(s -> {
      assertThat(DomainNames.toAscii(s)).isEqualTo(s);
      assertThat(s.substring(s.lastIndexOf('.') + 1)).doesNotMatch("[0-9]+");
    });
  }
}
