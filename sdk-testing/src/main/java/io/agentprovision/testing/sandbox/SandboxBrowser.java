package io.agentprovision.testing.sandbox;

import io.agentprovision.core.Secret;
import io.agentprovision.core.approval.ApprovalDecision;
import io.agentprovision.core.approval.ApprovalRequest;
import io.agentprovision.core.identity.Principal;
import io.agentprovision.core.spi.ApprovalGate;
import io.agentprovision.core.wire.Json;
import io.agentprovision.testing.provider2.IndependentProviderSimulator;
import java.io.IOException;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

/**
 * The human's browser in a {@link LocalSandbox}: once the human's {@code decisions} gate has approved
 * a checkpoint, it does what the person would do in a browser for the redirect checkpoints, and
 * returns the decision with what that produced (a consent's callback, a step-up's fresh sign-in; a
 * checkout or a payment's 3-D Secure page is simply completed). Denials, time-outs and errors come back untouched,
 * and nothing is visited for them. Only the sandbox's own loopback pages are visited; anything else
 * fails, which the engine takes as a denial.
 */
final class SandboxBrowser implements ApprovalGate {
  private final LocalSandbox sandbox;
  private final ApprovalGate decisions;
  private final OkHttpClient http;

  SandboxBrowser(LocalSandbox sandbox, ApprovalGate decisions, OkHttpClient http) {
    this.sandbox = Objects.requireNonNull(sandbox, "sandbox");
    this.decisions = Objects.requireNonNull(decisions, "decisions");
    this.http = Objects.requireNonNull(http, "http");
  }

  @Override
  public ApprovalDecision decide(ApprovalRequest request) throws InterruptedException {
    ApprovalDecision d = decisions.decide(request);
    if (d == null || !d.approved()) {
      return d;
    }
    switch (request.kind()) {
      case ACCOUNT_CONSENT: {
        if (request.url() == null) {
          return d;
        }
        Map<String, String> response = new LinkedHashMap<>(d.response());
        response.putAll(visit(request.url()));
        return d.withResponse(response);
      }
      case PAYMENT_METHOD:
      case PAYMENT_AUTHENTICATION:
        if (request.url() != null) {
          visit(request.url());
        }
        return d;
      case STEP_UP:
        return d.withCredential(stepUp(request));
      default:
        return d;
    }
  }

  /**
   * A checkpoint this browser only passes on, or answers by signing the person in again (a step-up:
   * the identity provider's signature, no page loaded), answers at once when the decisions do; one
   * that visits a page waits for it.
   */
  @Override
  public boolean answersAtOnce(ApprovalRequest request) {
    boolean visits = switch (request.kind()) {
      case ACCOUNT_CONSENT, PAYMENT_METHOD, PAYMENT_AUTHENTICATION -> request.url() != null;
      default -> false;
    };
    return !visits && decisions.answersAtOnce(request);
  }

  /** Signs the same person in again with a password and a one-time code, answering the checkpoint's nonce. */
  private Secret stepUp(ApprovalRequest request) {
    Principal p = request.principal();
    String email = p == null ? null : p.email();
    if (email == null) {
      throw new IllegalStateException("a step-up in the sandbox needs the principal's e-mail; the checkpoint has none");
    }
    return sandbox.signInWithNonce(email, request.details().get("nonce"), "pwd", "otp");
  }

  /**
   * Loads a sandbox page as a browser would and returns what it handed back: the provider's consent
   * page redirects to the orchestrator's callback with {@code code} and {@code state}; Stripe's pages
   * answer JSON, whose string fields are returned.
   */
  private Map<String, String> visit(URI url) {
    HttpUrl u = HttpUrl.get(url.toString());
    if (sameOrigin(u, sandbox.provider().baseUrl().toString())) {
      return sandbox.provider().approveConsent(url);
    }
    Optional<IndependentProviderSimulator> independent = sandbox.independentProviderAt(url);
    if (independent.isPresent()) {
      return independent.get().approveConsent(url);
    }
    if (!sameOrigin(u, sandbox.stripe().baseUrl())) {
      throw new IllegalStateException("the sandbox browser visits only the sandbox's pages, not " + u.host());
    }
    try (Response r = http.newCall(new Request.Builder().url(u).get().build()).execute()) {
      String body = r.body().string();
      if (!r.isSuccessful()) {
        throw new IllegalStateException("the page " + u.encodedPath() + " answered HTTP " + r.code());
      }
      return strings(body);
    } catch (IOException e) {
      throw new IllegalStateException("could not load " + u.encodedPath() + ": " + e.getMessage(), e);
    }
  }

  private static boolean sameOrigin(HttpUrl u, String base) {
    HttpUrl b = HttpUrl.get(base);
    return u.host().equals(b.host()) && u.port() == b.port();
  }

  private static Map<String, String> strings(@Nullable String body) {
    Map<String, String> out = new LinkedHashMap<>();
    if (body == null || body.isBlank()) {
      return out;
    }
    try {
      Json.parseObject(body).forEach((k, v) -> {
        if (v instanceof String s) {
          out.put(k, s);
        }
      });
    } catch (IllegalArgumentException notJson) {
      // an HTML page hands nothing back
    }
    return out;
  }
}
