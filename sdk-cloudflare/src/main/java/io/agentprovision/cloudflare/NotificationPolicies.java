package io.agentprovision.cloudflare;

import io.agentprovision.cloudflare.internal.Wire;
import io.agentprovision.core.InvalidRequestException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Notification policies ({@code /accounts/{id}/alerting/v3/policies}). Cloudflare has no API for
 * Budget Alerts; a {@code billing_usage_alert} notification policy is the closest the API offers,
 * and it only notifies: the SDK's spend policy is what caps spend.
 *
 * <pre>{@code
 * client.notificationPolicies(accountId).createBillingUsageAlert("workers usage", List.of("ops@example.com"),
 *     Map.of("product", List.of("worker_requests"), "limit", List.of("1000000")));
 * }</pre>
 */
public final class NotificationPolicies {
  private final CloudflareClient client;
  private final String base;

  NotificationPolicies(CloudflareClient client, String accountId) {
    this.client = Objects.requireNonNull(client, "client");
    this.base = "/accounts/" + CloudflareClient.segment(accountId, "accountId") + "/alerting/v3/policies";
  }

  /**
   * Creates an enabled {@code billing_usage_alert} policy that e-mails {@code emails}.
   *
   * @param filters the alert's filters, such as {@code product} and {@code limit} (lists of strings)
   * @return the new policy's id
   */
  public String createBillingUsageAlert(String name, List<String> emails, Map<String, List<String>> filters) {
    if (emails.isEmpty()) {
      throw new InvalidRequestException("emails", "is empty", "name at least one address to notify");
    }
    List<Object> mechanisms = new ArrayList<>();
    for (String e : emails) {
      mechanisms.add(Map.of("id", e));
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("name", Objects.requireNonNull(name, "name"));
    body.put("alert_type", "billing_usage_alert");
    body.put("enabled", true);
    body.put("mechanisms", Map.of("email", mechanisms));
    body.put("filters", new LinkedHashMap<>(filters));
    return client.<Wire.IdJson>exchange("POST", base, Map.of(), CloudflareClient.json(body), Map.of(), Wire.IdJson.class)
        .map(j -> Wire.required(j.id(), "id"));
  }

  /** The account's notification policies. */
  public List<NotificationPolicy> list() {
    return client.listSingle(base, Map.of(), Wire.NotificationPolicyJson.class, j -> {
      String name = j.name();
      String type = j.alertType();
      return new NotificationPolicy(Wire.required(j.id(), "id"), name == null ? "" : name, type == null ? "" : type,
          !Boolean.FALSE.equals(j.enabled()));
    });
  }

  /**
   * A notification policy.
   *
   * @param id its id
   * @param name its name
   * @param alertType such as {@code billing_usage_alert} (empty when not given)
   * @param enabled whether it notifies (true unless Cloudflare says otherwise)
   */
  public record NotificationPolicy(String id, String name, String alertType, boolean enabled) {}
}
