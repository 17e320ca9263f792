package io.agentprovision.core;

import java.util.regex.Pattern;

/** Shared validation of the identifier types. */
final class Ids {
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:@/+-]{0,199}");

  private Ids() {}

  static String check(String field, String value) {
    if (value == null || value.isBlank()) {
      throw new InvalidRequestException(field, "is empty", "pass a non-blank identifier such as \"coding-agent-7\"");
    }
    if (!ID.matcher(value).matches()) {
      throw new InvalidRequestException(field, "'" + value + "' has characters outside [A-Za-z0-9._:@/+-] or is "
          + "longer than 200", "start with a letter or digit and use only letters, digits and . _ : @ / + -");
    }
    return value;
  }
}
