package io.agentprovision.core.internal.concurrent;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentprovision.core.http.HttpStack;
import io.agentprovision.core.http.ResiliencePolicy;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * When a forked call is handed to a thread: a call forked before the forking thread's next wait
 * goes to the executor when that thread sends a request, joins, or its step or call ends, never
 * while it is still building the request the run waits for; and the joining thread runs a call no
 * thread has, without waking one for it. The executor here only records what it was handed, so
 * each hand-over is seen in order and nothing depends on timing.
 */
class ForkedCallTest {
  /** What the executor was handed, in order; run by the test when it chooses. */
  private final List<Runnable> handed = new ArrayList<>();
  private final Executor recording = handed::add;

  @AfterEach
  void nothingLeftOnThisThread() {
    ForkedCall.startPending();
  }

  @Test
  void aCallForkedBeforeTheNextWait_goesToNoThreadUntilTheForkingThreadWaits_thenInTheOrderForked() {
    ForkedCall<String> zones = ForkedCall.beforeNextWait(() -> "zones", recording);
    ForkedCall<String> groups = ForkedCall.beforeNextWait(() -> "groups", recording);

    assertThat(handed).isEmpty();

    ForkedCall.startPending();

    assertThat(handed).containsExactly(zones, groups);
    handed.forEach(Runnable::run);
    assertThat(zones.join()).isEqualTo("zones");
    assertThat(groups.join()).isEqualTo("groups");
  }

  @Test
  void aRequestSentThroughTheStack_handsTheThreadsForkedCallsOnBeforeItLeaves() throws IOException {
    ForkedCall<String> read = ForkedCall.beforeNextWait(() -> "read", recording);
    List<Integer> handedWhenSent = new ArrayList<>();
    try (HttpStack stack = HttpStack.builder().build()) {
      // stands in for the network, after the stack's own interceptor: what had been handed on when the request left
      OkHttpClient client = stack.client("cloudflare", ResiliencePolicy.ofDefaults()).newBuilder()
          .addInterceptor(chain -> {
            handedWhenSent.add(handed.size());
            return new Response.Builder().request(chain.request()).protocol(Protocol.HTTP_1_1).code(200).message("OK")
                .body(ResponseBody.create("{}", MediaType.get("application/json"))).build();
          }).build();

      try (Response r = client.newCall(new Request.Builder().url("http://127.0.0.1:1/upload").build()).execute()) {
        assertThat(r.code()).isEqualTo(200);
      }
    }

    assertThat(handedWhenSent).containsExactly(1);
    assertThat(handed).containsExactly(read);
  }

  @Test
  void joiningACallNoThreadHas_runsItOnTheJoiningThread_afterHandingTheOthersOn_andWakesNoThreadForIt() {
    ForkedCall<String> subdomain = ForkedCall.beforeNextWait(() -> "subdomain", recording);
    ForkedCall<String> plan = ForkedCall.beforeNextWait(() -> Thread.currentThread().getName(), recording);

    String ranOn = plan.join();

    assertThat(ranOn).isEqualTo(Thread.currentThread().getName());
    // the sibling went to its thread before the join ran its own call; the joined one was never handed on
    assertThat(handed).containsExactly(subdomain);
    handed.get(0).run();
    assertThat(subdomain.join()).isEqualTo("subdomain");
  }

  @Test
  void whatACallForkedAndDidNotJoin_isHandedOnWhenTheCallEnds() {
    List<ForkedCall<String>> inner = new ArrayList<>();
    ForkedCall<String> outer = ForkedCall.submit(() -> {
      inner.add(ForkedCall.beforeNextWait(() -> "inner", recording));
      return "outer";
    }, recording);
    assertThat(handed).containsExactly(outer);

    handed.get(0).run(); // a thread of the executor runs the outer call

    assertThat(handed).containsExactly(outer, inner.get(0));
  }

  @Test
  void aCallHandedOnAndAlsoJoined_runsOnce() {
    int[] runs = new int[1];
    ForkedCall<Integer> once = ForkedCall.beforeNextWait(() -> ++runs[0], recording);
    ForkedCall.startPending();

    assertThat(once.join()).isEqualTo(1); // the joining thread got there first
    handed.get(0).run(); // the executor's thread finds it taken

    assertThat(runs[0]).isEqualTo(1);
  }
}
