package io.agentprovision.stripe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentprovision.core.ProviderException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.orchestration.ProviderAccount;
import io.agentprovision.core.orchestration.ResourceRequest;
import io.agentprovision.core.orchestration.ResourceStatus;
import io.agentprovision.stripe.internal.ProjectDirectory;
import io.agentprovision.testing.FakeStepContext;
import io.agentprovision.testing.NoDelayServerSocketFactory;
import io.agentprovision.testing.VirtualTime;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Projects are looked up by name without reading the account's whole list every run: a project once
 * found or created is asked for again without a request (from any {@code StripeProjects} on the same
 * client), a new name within a fresh listing is created directly under its idempotency key, and a
 * project deleted behind the SDK's back is found missing and recreated once.
 */
class ProjectDirectoryWireTest {
  private static final String VERSION = "2026-05-01.preview";
  private static final String LIST = "GET /v2/provisioning/projects?limit=100";
  private static final String CREATE = "POST /v2/provisioning/projects";

  private final MockWebServer server = new MockWebServer();
  private final VirtualTime time = VirtualTime.create();
  /** Project requests as sent: method, target and, for a creation, its idempotency key. */
  private final List<String> projectRequests = new CopyOnWriteArrayList<>();
  /** The account's projects, as Stripe would list them. */
  private final Map<String, String> projects = new LinkedHashMap<>();
  /** What each creation key created: Stripe answers a key again with the same project. */
  private final Map<String, String> createdByKey = new LinkedHashMap<>();
  private StripeApi api;

  @BeforeEach
  void start() throws IOException {
    server.setServerSocketFactory(NoDelayServerSocketFactory.INSTANCE);
    server.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest r) {
        synchronized (ProjectDirectoryWireTest.this) {
          return answer(r);
        }
      }
    });
    server.start();
    api = StripeApi.builder().apiKey(Secret.of("sk_test_wire_51Abc")).apiBase(server.url("/").toString())
        .provisioningVersion(VERSION).maxNetworkRetries(0).build();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private MockResponse answer(RecordedRequest r) {
    String target = r.getTarget();
    String line = r.getMethod() + " " + target;
    if (target.startsWith("/v2/provisioning/projects")) {
      if (r.getMethod().equals("GET")) {
        projectRequests.add(line);
        List<String> data = new ArrayList<>();
        projects.forEach((id, name) -> data.add(project(id, name)));
        return json(200, "{\"data\":[" + String.join(",", data) + "],\"next_page_url\":null}");
      }
      String key = r.getHeaders().get("Idempotency-Key");
      projectRequests.add(line + " " + key);
      String name = r.getBody().utf8().replaceAll(".*\"name\":\"([^\"]*)\".*", "$1");
      String id = createdByKey.computeIfAbsent(key, k -> {
        String made = "proj_" + (createdByKey.size() + 1);
        projects.put(made, name);
        return made;
      });
      return json(200, project(id, name));
    }
    if (target.startsWith("/v2/provisioning/catalog/providers")) {
      return json(200, "{\"data\":[{\"id\":\"prvdr_cf\",\"object\":\"v2.provisioning.provider\",\"name\":\"Cloudflare\"}],"
          + "\"next_page_url\":null}");
    }
    if (target.startsWith("/v2/provisioning/catalog/services")) {
      return json(200, "{\"data\":[{\"id\":\"prvsvc_1\",\"service_id\":\"workers:free\",\"provider\":\"prvdr_cf\","
          + "\"provider_name\":\"Cloudflare\",\"kind\":\"plan\",\"scope\":\"project\",\"pricing\":{\"type\":\"free\"},"
          + "\"configuration_schema\":{\"type\":\"object\"}}],\"next_page_url\":null}");
    }
    if (line.equals("POST /v2/provisioning/resources")) {
      String project = r.getBody().utf8().replaceAll(".*\"project\":\"([^\"]*)\".*", "$1");
      if (!projects.containsKey(project)) {
        return json(404, "{\"error\":{\"type\":\"invalid_request_error\",\"code\":\"resource_missing\","
            + "\"param\":\"project\",\"message\":\"No such project: '" + project + "'\"}}");
      }
      return json(200, "{\"id\":\"prvres_1\",\"object\":\"v2.provisioning.resource\",\"provider\":\"prvdr_cf\","
          + "\"service_ref\":\"prvsvc_1\",\"name\":\"plan\",\"status\":\"complete\",\"environment\":\"prod\"}");
    }
    return json(404, "{\"error\":{\"type\":\"invalid_request_error\",\"message\":\"not served: " + line + "\"}}");
  }

  private static String project(String id, String name) {
    return "{\"id\":\"" + id + "\",\"object\":\"v2.provisioning.project\",\"name\":\"" + name
        + "\",\"catalog\":\"prod\"}";
  }

  private static MockResponse json(int code, String body) {
    return new MockResponse.Builder().code(code).setHeader("Content-Type", "application/json").body(body).build();
  }

  private StripeProjects stripe() {
    return StripeProjects.builder().api(api).clock(time).build();
  }

  private FakeStepContext ctx(String key) {
    return FakeStepContext.builder().time(time).idempotencyKey(key).build();
  }

  private static ResourceRequest plan(String project) {
    ProviderAccount account = new ProviderAccount("cloudflare", "acct_1", "pconn_1", null, null,
        ProviderAccount.LinkAction.CREATED, Map.of());
    return new ResourceRequest("cloudflare", "workers:free", "plan", Map.of(), account, project, "production", null);
  }

  @Test
  void aSecondRunForTheSameProject_sendsNoProjectRequest_evenThroughAnotherStripeProjectsOnTheSameClient() {
    synchronized (this) {
      projects.put("proj_0", "my-app");
    }
    assertThat(stripe().projectId("my-app", ctx("run-1:plan"))).isEqualTo("proj_0");
    assertThat(projectRequests).containsExactly(LIST);

    FakeStepContext second = ctx("run-2:plan");
    assertThat(stripe().projectId("my-app", second)).isEqualTo("proj_0");
    assertThat(projectRequests).as("found from memory").containsExactly(LIST);
    assertThat(second.audits()).isEmpty();
  }

  @Test
  void newNamesWhileTheListingIsFresh_areCreatedUnderTheirKeysWithoutListingAgain_andListedAgainOnceItIsNot() {
    StripeProjects stripe = stripe();
    assertThat(stripe.projectId("app-1", ctx("run-1:plan"))).isEqualTo("proj_1");
    time.advance(ProjectDirectory.LISTING_FRESH.minusSeconds(1));
    assertThat(stripe.projectId("app-2", ctx("run-2:plan"))).isEqualTo("proj_2");
    // another host made app-3 meanwhile, under the same key: Stripe answers it again rather than making a second
    synchronized (this) {
      createdByKey.put(ProjectDirectory.idempotencyKey("prod", "app-3"), "proj_9");
      projects.put("proj_9", "app-3");
    }
    assertThat(stripe.projectId("app-3", ctx("run-3:plan"))).isEqualTo("proj_9");
    time.advance(Duration.ofSeconds(2));
    assertThat(stripe.projectId("app-4", ctx("run-4:plan"))).isEqualTo("proj_4");

    assertThat(projectRequests).containsExactly(
        LIST, CREATE + " " + ProjectDirectory.idempotencyKey("prod", "app-1"),
        CREATE + " " + ProjectDirectory.idempotencyKey("prod", "app-2"),
        CREATE + " " + ProjectDirectory.idempotencyKey("prod", "app-3"),
        LIST, CREATE + " " + ProjectDirectory.idempotencyKey("prod", "app-4"));
    assertThat(projects).as("one project per name").hasSize(4);
  }

  @Test
  void aProjectDeletedBehindTheSdksBack_isFoundMissingAndRecreatedOnce() {
    StripeProjects stripe = stripe();
    FakeStepContext first = ctx("run-1:plan");
    assertThat(stripe.provision(plan("my-app"), first).status()).isEqualTo(ResourceStatus.COMPLETE);
    synchronized (this) {
      projects.remove("proj_1"); // deleted in the dashboard, say
    }

    // the run that meets the deletion sees Stripe's error; the directory forgets the project
    FakeStepContext meets = ctx("run-2:plan");
    assertThatThrownBy(() -> stripe.provision(plan("my-app"), meets)).isInstanceOfSatisfying(ProviderException.class,
        e -> assertThat(e.status()).isEqualTo(404));
    // the next run looks again: one list, one creation, under a key naming the project replaced (the old key would
    // be answered with the deleted project); from then on, on this StripeProjects or another on the same client, none
    FakeStepContext next = ctx("run-3:plan");
    assertThat(stripe.provision(plan("my-app"), next).status()).isEqualTo(ResourceStatus.COMPLETE);
    assertThat(stripe().projectId("my-app", ctx("run-4:plan"))).isEqualTo("proj_2");
    assertThat(stripe.projectId("my-app", ctx("run-5:plan"))).isEqualTo("proj_2");

    assertThat(projectRequests).containsExactly(
        LIST, CREATE + " " + ProjectDirectory.idempotencyKey("prod", "my-app"),
        LIST, CREATE + " " + ProjectDirectory.idempotencyKey("prod", "my-app", "proj_1"));
    assertThat(first.audits()).extracting(FakeStepContext.Audit::action).contains("stripe.project.create");
    assertThat(next.audits()).extracting(FakeStepContext.Audit::action).contains("stripe.project.create");
    assertThat(projects).as("the replacement, once").containsOnlyKeys("proj_2");
  }
}
