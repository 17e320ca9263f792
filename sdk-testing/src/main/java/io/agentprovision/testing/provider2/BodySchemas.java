package io.agentprovision.testing.provider2;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The field types of the request bodies the simulator reads, checked before binding (with
 * {@link SchemaCheck}) so that a number where a string belongs is refused as a provider with typed
 * fields would refuse it. Only types: which fields are required is each handler's business, since
 * its message says why.
 */
final class BodySchemas {
  private BodySchemas() {}

  private static final Map<String, Object> STRING = Map.of("type", "string");
  private static final Map<String, Object> OBJECT = Map.of("type", "object");
  private static final Map<String, Object> STRINGS = Map.of("type", "array", "items", STRING);

  static final Map<String, Object> PAYMENT_CREDENTIALS = object("type", STRING, "stripe_payment_token", STRING);

  static final Map<String, Object> ACCOUNT_REQUEST = object("id", STRING, "email", STRING, "name", STRING,
      "country", STRING, "phone", STRING, "kyc", object("verified_fields", STRINGS), "scopes", STRINGS,
      "client_capabilities", STRINGS, "configuration", OBJECT, "confirmation_secret", STRING,
      "expires_at", Map.of("type", "integer"), "orchestrator", OBJECT, "code_challenge", STRING,
      "code_challenge_method", STRING);

  static final Map<String, Object> CREATE = object("service_id", STRING, "configuration", OBJECT,
      "payment_credentials", PAYMENT_CREDENTIALS, "project_id", STRING, "orchestrator_resource_id", STRING,
      "environment", STRING);

  static final Map<String, Object> UPDATE = object("service_id", STRING, "configuration", OBJECT,
      "payment_credentials", PAYMENT_CREDENTIALS);

  static final Map<String, Object> DEEP_LINK = object("purpose", STRING);

  /** An object schema from name, schema pairs; other properties are allowed (and ignored). */
  private static Map<String, Object> object(Object... pairs) {
    Map<String, Object> props = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      props.put((String) pairs[i], pairs[i + 1]);
    }
    return Map.of("type", "object", "properties", props);
  }
}
