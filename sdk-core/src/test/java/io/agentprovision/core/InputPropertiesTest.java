package io.agentprovision.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.statistics.Statistics;

/**
 * Every input rule as a property: an input is either refused with an {@link InvalidRequestException}
 * whose field names that input, or accepted and round-trips through its canonical form.
 */
class InputPropertiesTest {
  private static final int TRIES = 400;
  /** A fixed seed: the same inputs on every run, so a failure is reproducible and no run depends on luck. */
  private static final String SEED = "20261206";

  /** Counts outcomes, and fails the property unless the generator reached both: a rule never met proves nothing. */
  private static void outcome(boolean accepted) {
    Statistics.collect(accepted ? "accepted" : "refused");
    Statistics.coverage(c -> {
      c.check("accepted").count(n -> n >= 5);
      c.check("refused").count(n -> n >= 5);
    });
  }

  // ---------------------------------------------------------------- domain names

  @Property(tries = TRIES, seed = SEED)
  void exactDomain_isRefusedNamingTheFieldOrRoundTrips(@ForAll("domainNames") String name) {
    DomainRequest d;
    try {
      d = DomainRequest.exact(name);
    } catch (InvalidRequestException e) {
      assertThat(e.field()).isEqualTo("domain");
      assertThat(e.getMessage()).doesNotContain("\n").doesNotContain("\r");
      outcome(false);
      return;
    }
    String ascii = d.text();
    outcome(true);
    assertThat(ascii).matches("[a-z0-9.-]+").doesNotEndWith(".");
    assertThat(DomainNames.toAscii(DomainNames.toUnicode(ascii))).isEqualTo(ascii);
    assertThat(DomainRequest.exact(DomainNames.toUnicode(ascii)).text()).isEqualTo(ascii);
    assertThat(DomainRequest.exact(ascii + ".").text()).isEqualTo(ascii);
    assertThat(ascii.length()).isLessThanOrEqualTo(DomainNames.MAX_NAME_LENGTH);
    assertThat(ascii.substring(ascii.lastIndexOf('.') + 1)).doesNotMatch("[0-9]+");
  }

  @Property(tries = TRIES, seed = SEED)
  void domainQuery_isRefusedNamingTheFieldOrRoundTrips(@ForAll("domainNames") String query) {
    DomainRequest d;
    try {
      d = DomainRequest.query(query);
    } catch (InvalidRequestException e) {
      assertThat(e.field()).isEqualTo("domain query");
      outcome(false);
      return;
    }
    outcome(true);
    assertThat(DomainNames.toAscii(DomainNames.toUnicode(d.text()))).isEqualTo(d.text());
    assertThat(DomainRequest.query(d.text()).text()).isEqualTo(d.text());
  }

  @Property(tries = TRIES, seed = SEED)
  void lookalikeCheck_neverThrowsOnAnAcceptedName(@ForAll("domainNames") String name) {
    String ascii;
    try {
      ascii = DomainRequest.exact(name).text();
    } catch (InvalidRequestException e) {
      return;
    }
    DomainNames.defaults().lookalike(ascii).ifPresent(l -> {
      assertThat(l.ascii()).isEqualTo(ascii);
      assertThat(l.display()).contains(ascii);
    });
  }

  @Provide
  Arbitrary<String> domainNames() {
    Arbitrary<String> asciiLabel = Arbitraries.strings().withChars("abcxyz019-").ofMinLength(0).ofMaxLength(12);
    Arbitrary<String> unicodeLabel = Arbitraries.strings()
        .withChars("apleüßаеорсхοΑ中日本-_ 0Ａ\u200D\u0301").ofMinLength(1).ofMaxLength(8);
    Arbitrary<String> numeric = Arbitraries.strings().numeric().ofMinLength(1).ofMaxLength(4);
    Arbitrary<String> punycode = Arbitraries.strings().withChars("abcdefgh0123456789-").ofMinLength(1).ofMaxLength(10)
        .map(s -> "xn--" + s);
    Arbitrary<String> longLabel = Arbitraries.integers().between(60, 70).map("a"::repeat);
    Arbitrary<String> label = Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(5, asciiLabel), net.jqwik.api.Tuple.of(3, unicodeLabel), net.jqwik.api.Tuple.of(2, numeric),
        net.jqwik.api.Tuple.of(2, punycode), net.jqwik.api.Tuple.of(1, longLabel));
    Arbitrary<String> tld = Arbitraries.of("com", "dev", "app", "co.uk", "de", "xn--p1ai", "рф", "123", "localhost",
        "COM", "zz", "");
    return Combinators.combine(label.list().ofMinSize(0).ofMaxSize(4), tld, Arbitraries.of("", ".", ".."))
        .as((labels, t, trailing) -> {
          List<String> parts = new java.util.ArrayList<>(labels);
          if (!t.isEmpty()) {
            parts.add(t);
          }
          return String.join(".", parts) + trailing;
        });
  }

  // ---------------------------------------------------------------- money

  @Property(tries = TRIES, seed = SEED)
  void money_isRefusedNamingTheFieldOrRoundTrips(@ForAll("moneyStrings") String text) {
    Money m;
    try {
      m = Money.parse(text);
    } catch (InvalidRequestException e) {
      assertThat(e.field()).isIn("money", "amount", "currency");
      outcome(false);
      return;
    }
    outcome(true);
    assertThat(Money.parse(m.toString())).isEqualTo(m);
    assertThat(m.toDecimal().scale()).isEqualTo(m.currency().getDefaultFractionDigits());
  }

  @Provide
  Arbitrary<String> moneyStrings() {
    Arbitrary<String> currency = Arbitraries.of("USD", "usd", "EUR", "JPY", "KWD", "XAU", "XYZ", "US", "");
    Arbitrary<String> amount = Arbitraries.oneOf(
        Arbitraries.bigDecimals().between(new java.math.BigDecimal("-1e20"), new java.math.BigDecimal("1e20"))
            .ofScale(4).map(java.math.BigDecimal::toPlainString),
        Arbitraries.strings().withChars("0123456789.-+e,_ ").ofMinLength(0).ofMaxLength(12),
        Arbitraries.longs().map(String::valueOf));
    return Combinators.combine(currency, Arbitraries.of(" ", "  ", "", "\t"), amount).as((c, sp, a) -> c + sp + a);
  }

  // ---------------------------------------------------------------- CIDR ranges

  @Property(tries = TRIES, seed = SEED)
  void cidr_isRefusedNamingTheFieldOrItsCanonicalFormReparsesEqual(@ForAll("cidrs") String cidr) {
    String canonical;
    try {
      canonical = TokenSpec.cidr("allowIps", cidr);
    } catch (InvalidRequestException e) {
      assertThat(e.field()).isEqualTo("allowIps");
      outcome(false);
      return;
    }
    outcome(true);
    assertThat(TokenSpec.cidr("allowIps", canonical)).isEqualTo(canonical);
    assertThat(canonical).isEqualTo(canonical.toLowerCase(java.util.Locale.ROOT));
    try {
      TokenSpec spec = TokenSpec.leastPrivilege().allowIps(cidr);
      assertThat(spec.allowIps()).containsExactly(canonical);
      assertThat(spec.isIpBound()).isTrue();
    } catch (InvalidRequestException e) {
      assertThat(e.field()).isEqualTo("allowIps");
      assertThat(canonical).endsWith("/0"); // only a range holding every address is refused here
    }
  }

  @Provide
  Arbitrary<String> cidrs() {
    Arbitrary<String> octet = Arbitraries.oneOf(Arbitraries.integers().between(0, 300).map(String::valueOf),
        Arbitraries.of("00", "01", "010", "0x1", ""));
    Arbitrary<String> v4 = octet.list().ofMinSize(3).ofMaxSize(5).map(l -> String.join(".", l));
    Arbitrary<String> group = Arbitraries.oneOf(Arbitraries.integers().between(0, 0xFFFF).map(Integer::toHexString),
        Arbitraries.of("0", "0000", "FFFF", "ABCD", "12345", "g1", ""));
    Arbitrary<String> v6 = Combinators.combine(group.list().ofMinSize(1).ofMaxSize(9), Arbitraries.integers().between(-1, 9))
        .as((groups, at) -> {
          List<String> g = new java.util.ArrayList<>(groups);
          if (at >= 0 && at <= g.size()) {
            g.add(at, ""); // a "::" somewhere
          }
          return String.join(":", g).replace(":::", "::");
        });
    Arbitrary<String> prefix = Arbitraries.oneOf(Arbitraries.integers().between(-1, 130).map(p -> "/" + p),
        Arbitraries.of("", "", "/", "/08", "/x"));
    return Combinators.combine(Arbitraries.oneOf(v4, v6, Arbitraries.of("::", "::1", "0.0.0.0", "::ffff:1.2.3.4")), prefix)
        .as((a, p) -> a + p);
  }

  // ---------------------------------------------------------------- TTLs

  @Property(tries = TRIES, seed = SEED)
  void ttl_isAcceptedExactlyBetweenFiveMinutesAndNinetyDays(
      @ForAll @LongRange(min = -86_400L, max = 200L * 86_400) long seconds) {
    Duration ttl = Duration.ofSeconds(seconds);
    boolean inRange = ttl.compareTo(TokenSpec.MIN_TTL) >= 0 && ttl.compareTo(TokenSpec.MAX_TTL) <= 0;
    try {
      assertThat(TokenSpec.leastPrivilege().ttl(ttl).ttl()).isEqualTo(ttl);
      assertThat(inRange).isTrue();
    } catch (InvalidRequestException e) {
      assertThat(e.field()).isEqualTo("ttl");
      assertThat(inRange).isFalse();
    }
  }

  // ---------------------------------------------------------------- module names

  @Property(tries = TRIES, seed = SEED)
  void moduleName_isRefusedNamingTheFieldOrKeptAsGiven(@ForAll("moduleNames") String path) {
    WorkerApp.Builder b = WorkerApp.builder("app").module("index.js", "export default {};");
    try {
      b.module(path, "x");
    } catch (InvalidRequestException e) {
      assertThat(e.field()).isEqualTo("module");
      assertThat(e.getMessage()).doesNotContain("\n").doesNotContain("\r").doesNotContain("\u0000");
      outcome(false);
      return;
    }
    outcome(true);
    WorkerApp app = b.build();
    assertThat(app.modules()).extracting(WorkerApp.Module::path).contains(path);
    assertThat(path).doesNotStartWith("/").doesNotContain("\\").doesNotContain("\"").doesNotContain("\r")
        .doesNotContain("\n").doesNotContain("\u0000");
    assertThat(Set.of(path.split("/", -1))).doesNotContain("", ".", "..");
  }

  @Provide
  Arbitrary<String> moduleNames() {
    return Combinators.combine(
        Arbitraries.strings().withChars("ab./\\\"'\r\n\u0000:C-_ü\u202E ").ofMinLength(0).ofMaxLength(14),
        Arbitraries.of(".js", ".mjs", ".json", ".txt"))
        .as((s, ext) -> s + ext);
  }
}
