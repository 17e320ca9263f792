package io.agentprovision.cloudflare.internal;

import java.util.regex.Pattern;

/**
 * Cleans text that came from a remote body before it goes into an exception message or a log line:
 * anything shaped like a credential (a long run of token characters) is masked, and the text is
 * cut short. Cloudflare's own error messages never carry tokens, but a proxy or a misbehaving
 * endpoint might echo a request back.
 */
public final class Redaction {
  private static final Pattern TOKENISH = Pattern.compile("[A-Za-z0-9_\\-]{32,}");
  private static final Pattern BEARER = Pattern.compile("(?i)(bearer\\s+)\\S+");
  /** Longest remote excerpt kept in a message. */
  public static final int MAX_EXCERPT = 300;

  private Redaction() {}

  public static String clean(String text) {
    String t = BEARER.matcher(text).replaceAll("$1[redacted]");
    t = TOKENISH.matcher(t).replaceAll(m -> looksLikeId(m.group()) ? m.group() : "[redacted]");
    t = t.replaceAll("[\\r\\n\\t]+", " ");
    return t.length() > MAX_EXCERPT ? t.substring(0, MAX_EXCERPT) + "…" : t;
  }

  /** Cloudflare ids are 32 lower-case hex digits: keep them, they are what support asks for. */
  private static boolean looksLikeId(String s) {
    return s.length() == 32 && s.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  }
}
