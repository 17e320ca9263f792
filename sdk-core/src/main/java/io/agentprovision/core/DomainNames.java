package io.agentprovision.core;

import com.ibm.icu.lang.UScript;
import com.ibm.icu.text.IDNA;
import com.ibm.icu.text.SpoofChecker;
import io.agentprovision.core.approval.CheckpointKind;
import io.agentprovision.core.internal.Untrusted;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The one set of rules the SDK applies to domain names: what a {@link DomainRequest} accepts, what
 * the planner lets through, which of the names a provider offers may be bought, and how a name is
 * shown to a person.
 *
 * <pre>{@code
 * DomainNames.toAscii("Bücher.de.");          // "xn--bcher-kva.de"
 * DomainNames.toUnicode("xn--pple-43d.org");  // "аpple.org" (a Cyrillic а)
 * DomainNames.display("xn--pple-43d.org");    // "аpple.org (xn--pple-43d.org)"
 *
 * DomainNames names = DomainNames.builder()
 *     .addProtectedNames("mybank")                        // besides DEFAULT_PROTECTED_NAMES
 *     .lookalikePolicy(DomainNames.LookalikePolicy.ASK_A_PERSON)
 *     .build();
 * AgentProvisioner.builder().domainNames(names) ...
 * }</pre>
 *
 * <h2>Name rules ({@link #validate}, always refused)</h2>
 * <ul>
 *   <li>IDNA 2008 as profiled by Unicode TS #46, non-transitional ({@code ß} stays {@code ß}), with
 *       the STD3 character rules, the bidi rule and the joiner rules (ICU4J's {@code IDNA}): upper
 *       case and full-width forms are mapped (case folded), characters IDNA 2008 disallows are
 *       refused, and an {@code xn--} label must be valid Punycode of a valid name;</li>
 *   <li>labels of 1 to {@value #MAX_LABEL_LENGTH} characters and a name of at most
 *       {@value #MAX_NAME_LENGTH} characters, both counted in the ASCII form; no hyphen at the start
 *       or end of a label, none in the third and fourth place (reserved for {@code xn--});</li>
 *   <li>one trailing dot is dropped ({@code "example.com."} is {@code "example.com"});</li>
 *   <li>the top-level domain is not all digits (so {@code 127.0.0.1} and {@code app.123} are refused);</li>
 *   <li>the name ends in a known public suffix and has exactly one label before it, so that it is a
 *       name a registrar can sell: {@code my-app.co.uk} is, {@code co.uk} and {@code www.my-app.com}
 *       are not. ICU has no public-suffix data, so the SDK ships a trimmed list as the resource
 *       {@code io/agentprovision/core/public-suffixes.txt} ({@link #builtInPublicSuffixes()}): the
 *       generic TLDs registrars commonly sell, the delegated ISO 3166 country-code TLDs, the usual
 *       second-level suffixes of country registries ({@code co.uk}, {@code com.au} …) and a few
 *       internationalized TLDs. A host may narrow or replace it with {@link Builder#publicSuffixes};
 *       {@link DomainRequest} itself checks against the built-in list.</li>
 * </ul>
 * A query ({@link #validateQuery}) is either one label (numeric labels allowed, such as
 * {@code "123"}) or a name under the rules above.
 *
 * <h2>Look-alikes ({@link #lookalike}, refused by default)</h2>
 * Checked with ICU4J's {@code SpoofChecker} (Unicode TS #39) on every label left of the public
 * suffix:
 * <ul>
 *   <li>{@link Kind#MIXED_SCRIPTS}: a label mixes scripts beyond what TS #39 calls highly
 *       restrictive (Latin with Han and Japanese kana, or with Han and Hangul, are allowed), such as
 *       {@code аpple} with a Cyrillic {@code а}; also invisible characters and digits of two
 *       numbering systems;</li>
 *   <li>{@link Kind#WHOLE_SCRIPT_CONFUSABLE}: a label written wholly in one non-Latin script that
 *       reads as an ASCII name, such as Cyrillic {@code аре} for {@code ape};</li>
 *   <li>{@link Kind#PROTECTED_NAME}: the label's confusable skeleton (TS #39, lower-cased) equals the
 *       skeleton of a {@link Builder#protectedNames protected name} while the label differs from it,
 *       such as {@code paypa1} or {@code g00gle}. The name itself ({@code paypal.dev}) is not a
 *       look-alike.</li>
 * </ul>
 * Under {@link LookalikePolicy#REFUSE} (the default) {@link #vet} refuses such a name with an
 * {@link InvalidRequestException}; under {@link LookalikePolicy#ASK_A_PERSON} it returns the
 * finding, and the engine puts the purchase to a person through a
 * {@link CheckpointKind#LOOKALIKE_DOMAIN} checkpoint that shows both forms. A look-alike is never
 * bought silently.
 *
 * <p>Immutable and thread-safe.
 */
public final class DomainNames {
  /** The longest name, in its ASCII form without the trailing dot. */
  public static final int MAX_NAME_LENGTH = 253;
  /** The longest label, in its ASCII form. */
  public static final int MAX_LABEL_LENGTH = 63;
  /** The look-alike policy unless configured otherwise. */
  public static final LookalikePolicy DEFAULT_LOOKALIKE_POLICY = LookalikePolicy.REFUSE;
  /**
   * Well-known brands and sites whose look-alikes are refused unless configured otherwise: names
   * phishing most often imitates. Labels, compared by confusable skeleton; a host adds its own with
   * {@link Builder#addProtectedNames} or replaces the list with {@link Builder#protectedNames}.
   */
  public static final Set<String> DEFAULT_PROTECTED_NAMES = Set.copyOf(new TreeSet<>(List.of(
      "adobe", "airbnb", "alibaba", "amazon", "americanexpress", "anthropic", "apple", "appleid", "atlassian",
      "baidu", "bankofamerica", "barclays", "binance", "bitbucket", "citibank", "cloudflare", "coinbase",
      "discord", "docker", "docusign", "dropbox", "ebay", "facebook", "github", "gitlab", "gmail", "godaddy",
      "google", "hsbc", "icloud", "instagram", "linkedin", "mastercard", "microsoft", "namecheap", "netflix",
      "npmjs", "nvidia", "okta", "openai", "outlook", "paypal", "pypi", "reddit", "salesforce", "samsung",
      "santander", "shopify", "slack", "spotify", "stripe", "telegram", "tiktok", "twitter", "wellsfargo",
      "whatsapp", "wikipedia", "yahoo", "youtube")));

  /** The longest text looked at: anything longer cannot be a name, and is refused before any work. */
  private static final int MAX_INPUT_CHARS = 1024;
  private static final String SUFFIX_RESOURCE = "public-suffixes.txt";
  private static final Pattern ALL_DIGITS = Pattern.compile("[0-9]+");
  private static final Pattern IPV4 = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
  private static final Pattern ASCII_NAME = Pattern.compile("[a-z0-9.-]+");

  private static final IDNA IDNA2008 = IDNA.getUTS46Instance(IDNA.USE_STD3_RULES | IDNA.CHECK_BIDI
      | IDNA.CHECK_CONTEXTJ | IDNA.CHECK_CONTEXTO | IDNA.NONTRANSITIONAL_TO_ASCII | IDNA.NONTRANSITIONAL_TO_UNICODE);
  /** Script mixing, invisible characters and mixed numbering systems within one label. */
  private static final SpoofChecker MIXING = new SpoofChecker.Builder()
      .setChecks(SpoofChecker.RESTRICTION_LEVEL | SpoofChecker.INVISIBLE | SpoofChecker.MIXED_NUMBERS
          | SpoofChecker.HIDDEN_OVERLAY)
      .setRestrictionLevel(SpoofChecker.RestrictionLevel.HIGHLY_RESTRICTIVE)
      .build();
  /** Skeletons and whole-script confusability. */
  private static final SpoofChecker CONFUSABLES = new SpoofChecker.Builder().setChecks(SpoofChecker.CONFUSABLE).build();

  private static final Set<String> BUILT_IN_SUFFIXES = loadSuffixes();
  private static final DomainNames DEFAULTS = builder().build();

  /** What the SDK does with a name that looks like another. */
  public enum LookalikePolicy {
    /** Refuse it with an {@link InvalidRequestException} (a requested name) or pass it over (a provider's offer). */
    REFUSE,
    /**
     * Send it to a person: the purchase waits for a {@link CheckpointKind#LOOKALIKE_DOMAIN}
     * checkpoint that shows the Unicode and the ASCII form and what the name resembles. Among a
     * provider's offers, names that are not look-alikes are preferred.
     */
    ASK_A_PERSON
  }

  /** Why a name is a look-alike. */
  public enum Kind {
    /** A label mixes scripts (or uses invisible characters or two numbering systems). */
    MIXED_SCRIPTS,
    /** A label is wholly in one non-Latin script and reads as an ASCII name. */
    WHOLE_SCRIPT_CONFUSABLE,
    /** A label is confusable with a protected name without being it. */
    PROTECTED_NAME
  }

  /**
   * A name that looks like another.
   *
   * @param ascii the name's ASCII form, as registered
   * @param unicode the name's Unicode form, as a person reads it
   * @param kind why it is a look-alike
   * @param resembles what it can be taken for (ASCII), or null when no single name is known
   * @param detail a sentence for a person
   */
  public record Lookalike(String ascii, String unicode, Kind kind, @Nullable String resembles, String detail) {
    public Lookalike {
      Objects.requireNonNull(ascii, "ascii");
      Objects.requireNonNull(unicode, "unicode");
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(detail, "detail");
    }

    /** Both forms, as {@link DomainNames#display} shows them. */
    public String display() {
      return unicode.equals(ascii) ? ascii : unicode + " (" + ascii + ")";
    }
  }

  private final Set<String> suffixes;
  private final Map<String, String> protectedSkeletons;
  private final LookalikePolicy policy;

  private DomainNames(Builder b) {
    this.suffixes = Set.copyOf(b.suffixes);
    Map<String, String> skel = new LinkedHashMap<>();
    for (String name : b.protectedNames) {
      skel.put(name, skeleton(labelToUnicode(name)));
    }
    this.protectedSkeletons = Map.copyOf(skel);
    this.policy = b.policy;
  }

  /** The built-in rules: {@link #builtInPublicSuffixes()}, {@link #DEFAULT_PROTECTED_NAMES}, {@link #DEFAULT_LOOKALIKE_POLICY}. */
  public static DomainNames defaults() {
    return DEFAULTS;
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.suffixes = new LinkedHashSet<>(suffixes);
    b.protectedNames = new LinkedHashSet<>(protectedSkeletons.keySet());
    b.policy = policy;
    return b;
  }

  /** The public suffixes shipped with the SDK (ASCII form), read from {@code io/agentprovision/core/public-suffixes.txt}. */
  public static Set<String> builtInPublicSuffixes() {
    return BUILT_IN_SUFFIXES;
  }

  /** The suffixes names must end in (ASCII form). */
  public Set<String> publicSuffixes() {
    return suffixes;
  }

  /** The protected names, as labels in their ASCII form. */
  public Set<String> protectedNames() {
    return protectedSkeletons.keySet();
  }

  public LookalikePolicy lookalikePolicy() {
    return policy;
  }

  // ------------------------------------------------------------------ conversions

  /**
   * The ASCII form ({@code xn--} labels) of a name or label: IDNA 2008 (UTS #46, non-transitional),
   * lower case, without a trailing dot. Checks the IDNA rules only; {@link #validate} checks all.
   *
   * @throws InvalidRequestException (field {@code domain}) when it is not a valid IDNA name
   */
  public static String toAscii(String name) {
    return idna("domain", name, true);
  }

  /**
   * The Unicode form of a name or label, as a person reads it: {@code xn--} labels decoded, lower
   * case, without a trailing dot.
   *
   * @throws InvalidRequestException (field {@code domain}) when it is not a valid IDNA name
   */
  public static String toUnicode(String name) {
    return idna("domain", name, false);
  }

  /**
   * How to show a name to a person: the Unicode form followed by the ASCII form in parentheses when
   * they differ ({@code "аpple.org (xn--pple-43d.org)"}), else the name. Never throws: text that
   * is not a valid name is shown quoted and escaped.
   */
  public static String display(@Nullable String name) {
    if (name == null) {
      return "null";
    }
    try {
      String ascii = toAscii(name);
      String unicode = toUnicode(ascii);
      return unicode.equals(ascii) ? ascii : unicode + " (" + ascii + ")";
    } catch (InvalidRequestException e) {
      return Untrusted.quote(name);
    }
  }

  // ------------------------------------------------------------------ rules

  /**
   * Checks a name against the rules (IDNA 2008, lengths, hyphens, a TLD that is not all digits, one
   * label under a known public suffix) and returns its ASCII form. Does not judge look-alikes:
   * {@link #vet} does both.
   *
   * @throws InvalidRequestException naming {@code field} when a rule refuses it
   */
  public String validate(String field, String name) {
    return validateName(field, name, suffixes);
  }

  /**
   * Checks what a domain search may be: one label (such as {@code "my-app"}, or {@code "123"}) or
   * a name under {@link #validate}'s rules. Returns the ASCII form.
   *
   * @throws InvalidRequestException naming {@code field} when a rule refuses it
   */
  public String validateQuery(String field, String query) {
    return validateQuery(field, query, suffixes);
  }

  /**
   * Whether a valid name or label looks like another, and why; empty when it does not. Takes the
   * ASCII or the Unicode form.
   *
   * @throws InvalidRequestException (field {@code domain}) when it is not a valid IDNA name
   */
  public Optional<Lookalike> lookalike(String nameOrLabel) {
    String ascii = toAscii(nameOrLabel);
    String unicode = toUnicode(ascii);
    String[] uLabels = unicode.split("\\.", -1);
    int registrable = uLabels.length == 1 ? 0 : Math.max(0, uLabels.length - 1 - suffixLabels(ascii));
    for (int i = 0; i <= registrable && i < uLabels.length; i++) {
      String label = uLabels[i];
      if (isAscii(label)) {
        continue;
      }
      SpoofChecker.CheckResult r = new SpoofChecker.CheckResult();
      if (MIXING.failsChecks(label, r)) {
        return Optional.of(new Lookalike(ascii, unicode, Kind.MIXED_SCRIPTS, asciiReading(unicode, ascii, registrable),
            "the label " + Untrusted.quote(label) + " mixes " + scripts(label)
                + ((r.checks & (SpoofChecker.INVISIBLE | SpoofChecker.MIXED_NUMBERS)) != 0
                    ? " or uses invisible characters or digits of two numbering systems" : "")));
      }
      Set<String> s = scriptSet(label);
      String skel = skeleton(label);
      if (s.size() == 1 && !s.contains("Latin") && ASCII_NAME.matcher(skel).matches()
          && (CONFUSABLES.areConfusable(label, skel) & SpoofChecker.WHOLE_SCRIPT_CONFUSABLE) != 0) {
        return Optional.of(new Lookalike(ascii, unicode, Kind.WHOLE_SCRIPT_CONFUSABLE, asciiReading(unicode, ascii, registrable),
            "the " + s.iterator().next() + " label " + Untrusted.quote(label) + " reads as the Latin "
                + Untrusted.quote(skel)));
      }
    }
    String label = uLabels[registrable];
    String skel = skeleton(label);
    for (Map.Entry<String, String> p : protectedSkeletons.entrySet()) {
      if (p.getValue().equals(skel) && !labelToUnicode(p.getKey()).equals(label)) {
        String[] aLabels = ascii.split("\\.", -1);
        aLabels[registrable] = p.getKey();
        return Optional.of(new Lookalike(ascii, unicode, Kind.PROTECTED_NAME, String.join(".", aLabels),
            Untrusted.quote(label) + " can be taken for the protected name " + Untrusted.quote(p.getKey())));
      }
    }
    return Optional.empty();
  }

  /**
   * {@link #validate} (or {@link #validateQuery} for a single label) and {@link #lookalike}, under
   * this configuration's {@link LookalikePolicy}: under {@code REFUSE} a look-alike is refused;
   * under {@code ASK_A_PERSON} it is returned, for the caller to put to a person before buying.
   *
   * @throws InvalidRequestException naming {@code field} when a rule or the policy refuses it
   */
  public Optional<Lookalike> vet(String field, String nameOrLabel) {
    String ascii = validateQuery(field, nameOrLabel);
    Optional<Lookalike> found = lookalike(ascii);
    if (found.isPresent() && policy == LookalikePolicy.REFUSE) {
      Lookalike l = found.get();
      throw new InvalidRequestException(field, Untrusted.quote(l.display()) + " looks like "
          + (l.resembles() != null ? Untrusted.quote(l.resembles()) : "another name") + ": " + l.detail(),
          "use a name written in one script that resembles no protected name; if this is the name meant, "
              + "configure DomainNames.builder().lookalikePolicy(ASK_A_PERSON) so that a person confirms it");
    }
    return found;
  }

  /**
   * Checks a host name to bind (not to buy) and returns its ASCII form: the rules of
   * {@link #validate}, except that any number of labels may stand before the public suffix, so
   * {@code www.my-app.com} and {@code app.example.co.uk} pass.
   *
   * @throws InvalidRequestException naming {@code field} when a rule refuses it
   */
  public String validateHostName(String field, String name) {
    return checkName(field, name, suffixes, false);
  }

  static String validateName(String field, @Nullable String name, Set<String> suffixes) {
    return checkName(field, name, suffixes, true);
  }

  private static String checkName(String field, @Nullable String name, Set<String> suffixes, boolean registrable) {
    String ascii = idna(field, name, true);
    String[] labels = ascii.split("\\.", -1);
    if (IPV4.matcher(ascii).matches()) {
      throw new InvalidRequestException(field, Untrusted.quote(name) + " is an IP address, not a domain name",
          "pass a domain name such as \"my-app.com\"");
    }
    if (labels.length < 2) {
      throw new InvalidRequestException(field, Untrusted.quote(name) + " has no top-level domain",
          "write the full name, such as \"" + ascii + ".com\", or use DomainRequest.query(\"" + ascii + "\")");
    }
    String tld = labels[labels.length - 1];
    if (ALL_DIGITS.matcher(tld).matches()) {
      throw new InvalidRequestException(field, Untrusted.quote(name) + " has an all-numeric top-level domain "
          + Untrusted.quote(tld), "end the name in a top-level domain such as .com or .dev");
    }
    int suffixLabels = suffixLabels(ascii, suffixes);
    if (suffixLabels == 0) {
      throw new InvalidRequestException(field, Untrusted.quote(name) + " does not end in a known public suffix ("
          + Untrusted.quote(tld) + " is not one)", "use a top-level domain the registrar sells, such as .com, .dev or "
          + ".app; the list is DomainNames.builtInPublicSuffixes()");
    }
    int before = labels.length - suffixLabels;
    if (before == 0) {
      throw new InvalidRequestException(field, Untrusted.quote(name) + " is a public suffix, which cannot be registered",
          "put a name before it, such as \"my-app." + ascii + "\"");
    }
    if (before > 1 && registrable) {
      String parent = String.join(".", List.of(labels).subList(before - 1, labels.length));
      throw new InvalidRequestException(field, Untrusted.quote(name) + " is a subdomain of " + Untrusted.quote(parent)
          + "; only a registrable name can be bought", "register \"" + parent + "\" and bind the subdomain to it");
    }
    return ascii;
  }

  static String validateQuery(String field, @Nullable String query, Set<String> suffixes) {
    String ascii = idna(field, query, true);
    if (ascii.contains(".")) {
      return validateName(field, query, suffixes);
    }
    return ascii;
  }

  /**
   * IDNA 2008 to ASCII or to Unicode, with the length checks, each error named in words. The
   * result is lower case and has no trailing dot.
   */
  private static String idna(String field, @Nullable String name, boolean toAscii) {
    if (name == null || name.isBlank()) {
      throw new InvalidRequestException(field, "is empty", "pass a domain name such as \"my-app.com\"");
    }
    if (name.length() > MAX_INPUT_CHARS) {
      throw new InvalidRequestException(field, "is " + name.length() + " characters long, far beyond the "
          + MAX_NAME_LENGTH + " a domain name may have", "use a shorter name");
    }
    String n = name.strip();
    if (n.endsWith(".") && n.length() > 1) {
      n = n.substring(0, n.length() - 1); // the root's empty label: "example.com." is "example.com"
    }
    IDNA.Info info = new IDNA.Info();
    String ascii = IDNA2008.nameToASCII(n, new StringBuilder(), info).toString();
    if (info.hasErrors()) {
      throw new InvalidRequestException(field, Untrusted.quote(name) + " " + describe(info.getErrors()),
          "use letters, digits and inner hyphens, 1 to 63 characters per label, such as \"my-app.com\"");
    }
    String[] labels = ascii.split("\\.", -1);
    for (String label : labels) {
      if (label.isEmpty()) {
        throw new InvalidRequestException(field, Untrusted.quote(name) + " has an empty label",
            "remove the extra dot, such as in \"my-app.com\"");
      }
      if (label.length() > MAX_LABEL_LENGTH) {
        throw new InvalidRequestException(field, Untrusted.quote(name) + " has a label of " + label.length()
            + " characters in its ASCII form, more than " + MAX_LABEL_LENGTH, "use shorter labels");
      }
    }
    if (ascii.length() > MAX_NAME_LENGTH) {
      throw new InvalidRequestException(field, Untrusted.quote(name) + " is " + ascii.length()
          + " characters long in its ASCII form, longer than " + MAX_NAME_LENGTH, "use a shorter name");
    }
    if (toAscii) {
      return ascii;
    }
    IDNA.Info back = new IDNA.Info();
    String unicode = IDNA2008.nameToUnicode(ascii, new StringBuilder(), back).toString();
    if (back.hasErrors()) {
      throw new InvalidRequestException(field, Untrusted.quote(name) + " " + describe(back.getErrors()),
          "use letters, digits and inner hyphens, 1 to 63 characters per label, such as \"my-app.com\"");
    }
    return unicode;
  }

  private static String describe(Set<IDNA.Error> errors) {
    IDNA.Error e = errors.iterator().next();
    return switch (e) {
      case EMPTY_LABEL -> "has an empty label (two dots in a row, or a dot at the start)";
      case LABEL_TOO_LONG -> "has a label longer than " + MAX_LABEL_LENGTH + " characters in its ASCII form";
      case DOMAIN_NAME_TOO_LONG -> "is longer than " + MAX_NAME_LENGTH + " characters in its ASCII form";
      case LEADING_HYPHEN -> "has a label that starts with a hyphen";
      case TRAILING_HYPHEN -> "has a label that ends with a hyphen";
      case HYPHEN_3_4 -> "has a label with hyphens in the third and fourth places, which only xn-- labels may have";
      case LEADING_COMBINING_MARK -> "has a label that starts with a combining mark";
      case DISALLOWED -> "has a character that domain names may not contain (IDNA 2008 allows letters, digits "
          + "and inner hyphens)";
      case PUNYCODE, INVALID_ACE_LABEL -> "has an xn-- label that is not the valid encoding of a valid name";
      case LABEL_HAS_DOT -> "has a character that maps to a dot inside a label";
      case BIDI -> "mixes right-to-left and left-to-right text in a way IDNA 2008 forbids";
      case CONTEXTJ, CONTEXTO_PUNCTUATION, CONTEXTO_DIGITS -> "uses a joiner, punctuation or digits outside the "
          + "context IDNA 2008 allows them in";
    };
  }

  private static String labelToUnicode(String label) {
    IDNA.Info info = new IDNA.Info();
    return IDNA2008.labelToUnicode(label, new StringBuilder(), info).toString();
  }

  private int suffixLabels(String ascii) {
    return suffixLabels(ascii, suffixes);
  }

  /** How many trailing labels of {@code ascii} the longest matching public suffix spans; 0 for none. */
  private static int suffixLabels(String ascii, Set<String> suffixes) {
    String[] labels = ascii.split("\\.", -1);
    for (int i = 0; i < labels.length; i++) {
      if (suffixes.contains(String.join(".", List.of(labels).subList(i, labels.length)))) {
        return labels.length - i;
      }
    }
    return 0;
  }

  /** The lower-cased TS #39 skeleton: case does not tell names apart, so "g00gle" meets "google". */
  private static String skeleton(String unicodeLabel) {
    return CONFUSABLES.getSkeleton(unicodeLabel).toLowerCase(Locale.ROOT);
  }

  /**
   * The ASCII name a person could take {@code unicode} for: each non-ASCII letter of the labels left
   * of the suffix replaced by its TS #39 prototype when that is ASCII (Cyrillic а by a); null when
   * some letter has no ASCII look-alike or nothing changes.
   */
  private static @Nullable String asciiReading(String unicode, String ascii, int registrable) {
    String[] u = unicode.split("\\.", -1);
    String[] a = ascii.split("\\.", -1);
    for (int i = 0; i <= registrable && i < u.length; i++) {
      if (isAscii(u[i])) {
        continue;
      }
      StringBuilder sb = new StringBuilder();
      for (int cp : u[i].codePoints().toArray()) {
        String one = cp < 0x80 ? String.valueOf((char) cp) : skeleton(new String(Character.toChars(cp)));
        if (!isAscii(one)) {
          return null;
        }
        sb.append(one);
      }
      a[i] = sb.toString();
    }
    String reading = String.join(".", a);
    return reading.equals(ascii) ? null : reading;
  }

  private static boolean isAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) > 0x7F) {
        return false;
      }
    }
    return true;
  }

  /** The scripts of a label's letters (not Common or Inherited), by name, in order of appearance. */
  private static Set<String> scriptSet(String label) {
    Set<String> out = new LinkedHashSet<>();
    label.codePoints().forEach(cp -> {
      int sc = UScript.getScript(cp);
      if (sc != UScript.COMMON && sc != UScript.INHERITED && sc != UScript.UNKNOWN) {
        out.add(UScript.getName(sc));
      }
    });
    return out;
  }

  private static String scripts(String label) {
    Set<String> s = scriptSet(label);
    return s.size() > 1 ? "scripts (" + String.join(", ", s) + ")" : "characters of one script in a way TS #39 flags";
  }

  private static Set<String> loadSuffixes() {
    Set<String> out = new LinkedHashSet<>();
    try (InputStream in = DomainNames.class.getResourceAsStream(SUFFIX_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("the resource " + SUFFIX_RESOURCE + " is missing from the SDK jar");
      }
      BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      for (String line; (line = r.readLine()) != null; ) {
        String s = line.strip();
        if (!s.isEmpty() && !s.startsWith("#")) {
          out.add(s);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + SUFFIX_RESOURCE, e);
    }
    return Set.copyOf(out);
  }

  /** Builds a {@link DomainNames}; setters validate and name the field. */
  public static final class Builder {
    private Set<String> suffixes = new LinkedHashSet<>(BUILT_IN_SUFFIXES);
    private Set<String> protectedNames = new LinkedHashSet<>(DEFAULT_PROTECTED_NAMES);
    private LookalikePolicy policy = DEFAULT_LOOKALIKE_POLICY;

    private Builder() {}

    /**
     * Replaces the public suffixes, for instance with the TLDs the host's registrar sells. Each is a
     * name or a TLD, in either form, such as {@code "com"}, {@code "co.uk"} or {@code "рф"}.
     */
    public Builder publicSuffixes(Collection<String> publicSuffixes) {
      Objects.requireNonNull(publicSuffixes, "publicSuffixes");
      Set<String> s = new LinkedHashSet<>();
      for (String p : publicSuffixes) {
        s.add(suffix(p));
      }
      if (s.isEmpty()) {
        throw new InvalidRequestException("publicSuffixes", "is empty", "pass at least one, such as \"com\"");
      }
      this.suffixes = s;
      return this;
    }

    /** Adds public suffixes to the current ones. */
    public Builder addPublicSuffixes(String... publicSuffixes) {
      Objects.requireNonNull(publicSuffixes, "publicSuffixes");
      for (String p : publicSuffixes) {
        suffixes.add(suffix(p));
      }
      return this;
    }

    /** Replaces the protected names: labels such as {@code "paypal"} or {@code "mybank"}; none to check none. */
    public Builder protectedNames(Collection<String> names) {
      Objects.requireNonNull(names, "protectedNames");
      Set<String> s = new LinkedHashSet<>();
      for (String n : names) {
        s.add(label("protectedNames", n));
      }
      this.protectedNames = s;
      return this;
    }

    /** Adds protected names to the current ones. */
    public Builder addProtectedNames(String... names) {
      Objects.requireNonNull(names, "protectedNames");
      for (String n : names) {
        protectedNames.add(label("protectedNames", n));
      }
      return this;
    }

    /** What happens to a look-alike: refused ({@link #DEFAULT_LOOKALIKE_POLICY}) or put to a person. */
    public Builder lookalikePolicy(LookalikePolicy lookalikePolicy) {
      this.policy = Objects.requireNonNull(lookalikePolicy, "lookalikePolicy");
      return this;
    }

    public DomainNames build() {
      return new DomainNames(this);
    }

    private static String suffix(@Nullable String s) {
      String ascii = idna("publicSuffixes", s, true);
      if (ALL_DIGITS.matcher(ascii.substring(ascii.lastIndexOf('.') + 1)).matches()) {
        throw new InvalidRequestException("publicSuffixes", Untrusted.quote(s) + " ends in an all-numeric label",
            "pass TLDs such as \"com\"");
      }
      return ascii;
    }

    private static String label(String field, @Nullable String s) {
      String ascii = idna(field, s, true);
      if (ascii.contains(".")) {
        throw new InvalidRequestException(field, Untrusted.quote(s) + " is not a single label",
            "pass the name without its TLD, such as \"paypal\"");
      }
      return ascii;
    }
  }

  @Override
  public String toString() {
    return "DomainNames{suffixes=" + suffixes.size() + ", protectedNames=" + protectedSkeletons.size()
        + ", lookalikePolicy=" + policy + "}";
  }
}
