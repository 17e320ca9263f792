package io.agentprovision.stripe;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.Secret;
import io.agentprovision.testing.FakeStepContext;
import io.agentprovision.testing.NoDelayServerSocketFactory;
import io.agentprovision.testing.VirtualTime;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.RepeatedTest;

/**
 * A run's resource and domain steps want the same project at the same time: Stripe is asked once
 * (one list, one creation), not once per step.
 */
class SharedProjectLookupWireTest {
  private final MockWebServer server = new MockWebServer();
  private final VirtualTime time = VirtualTime.create();
  private final List<String> requests = new CopyOnWriteArrayList<>();
  private final CountDownLatch listAsked = new CountDownLatch(1);
  private final CountDownLatch answerList = new CountDownLatch(1);
  private final ExecutorService steps = Executors.newFixedThreadPool(2);
  private StripeProjects stripe;

  @BeforeEach
  void start() throws IOException {
    server.setServerSocketFactory(NoDelayServerSocketFactory.INSTANCE);
    server.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest r) throws InterruptedException {
        requests.add(r.getMethod() + " " + r.getTarget());
        if (r.getMethod().equals("GET")) {
          listAsked.countDown();
          // the first lookup stays under way until the test has the second caller waiting
          answerList.await(10, TimeUnit.SECONDS);
          return json("{\"data\":[],\"next_page_url\":null}");
        }
        return json("{\"id\":\"proj_1\",\"object\":\"v2.provisioning.project\",\"name\":\"my-app\",\"catalog\":\"prod\"}");
      }
    });
    server.start();
    stripe = StripeProjects.builder().api(StripeApi.builder().apiKey(Secret.of("sk_test_wire_51Abc"))
        .apiBase(server.url("/").toString()).provisioningVersion("2026-05-01.preview").maxNetworkRetries(0).build())
        .build();
  }

  @AfterEach
  void stop() {
    answerList.countDown();
    steps.shutdownNow();
    server.close();
  }

  private static MockResponse json(String body) {
    return new MockResponse.Builder().code(200).setHeader("Content-Type", "application/json").body(body).build();
  }

  @RepeatedTest(5)
  void twoStepsWantingTheSameNewProjectAtOnce_listAndCreateItOnce() throws Exception {
    FakeStepContext resource = FakeStepContext.builder().time(time).idempotencyKey("run-1:resource").build();
    FakeStepContext domain = FakeStepContext.builder().time(time).idempotencyKey("run-1:domain").build();

    Future<String> first = steps.submit(() -> stripe.projectId("my-app", resource));
    assertThat(listAsked.await(10, TimeUnit.SECONDS)).isTrue();
    AtomicReference<Thread> second = new AtomicReference<>();
    Future<String> other = steps.submit(() -> {
      second.set(Thread.currentThread());
      return stripe.projectId("my-app", domain);
    });
    // the second caller either waits for the first's answer, or (were the lookup not shared) sends a list of its own
    while (!waiting(second.get()) && requests.size() < 2 && !other.isDone()) {
      Thread.onSpinWait();
    }
    answerList.countDown();

    assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo("proj_1");
    assertThat(other.get(10, TimeUnit.SECONDS)).isEqualTo("proj_1");
    assertThat(requests).containsExactly("GET /v2/provisioning/projects?limit=100", "POST /v2/provisioning/projects");
    // the creation is audited once, by the step that made it
    assertThat(resource.audits()).extracting(FakeStepContext.Audit::action).containsExactly("stripe.project.create");
    assertThat(domain.audits()).isEmpty();
    // known from now on: no request at all
    assertThat(stripe.projectId("my-app", domain)).isEqualTo("proj_1");
    assertThat(requests).hasSize(2);
  }

  private static boolean waiting(@Nullable Thread t) {
    return t != null && (t.getState() == Thread.State.WAITING || t.getState() == Thread.State.TIMED_WAITING);
  }
}
