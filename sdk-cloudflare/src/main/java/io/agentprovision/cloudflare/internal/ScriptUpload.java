package io.agentprovision.cloudflare.internal;

import io.agentprovision.core.InvalidRequestException;
import io.agentprovision.core.Secret;
import io.agentprovision.core.WorkerApp;
import io.agentprovision.core.wire.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import okhttp3.MediaType;
import okhttp3.MultipartBody;
import okhttp3.RequestBody;

/**
 * Builds the {@code multipart/form-data} body of a Worker upload: one part named {@code metadata}
 * holding JSON (never flattened into {@code metadata[...]} fields, which Cloudflare rejects with
 * 10021), then one part per module whose name and filename are the module path.
 */
public final class ScriptUpload {
  /**
   * The metadata part's type as it goes on the wire: okhttp adds the charset to a text body's type
   * that names none, parsing the result again for every upload; named here once.
   */
  private static final MediaType JSON = MediaType.get("application/json; charset=utf-8");
  /** The modules' content types, parsed once each: an app has a handful, uploaded on every deploy. */
  private static final ConcurrentMap<String, MediaType> MODULE_TYPES = new ConcurrentHashMap<>();
  /** Beyond this many distinct types, a module's type is parsed each time rather than kept. */
  private static final int MAX_KEPT_TYPES = 64;

  private ScriptUpload() {}

  /** The metadata JSON, with secret binding values in clear: it goes only into the request body. */
  public static Map<String, Object> metadata(WorkerApp app) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("main_module", app.mainModule());
    m.put("compatibility_date", app.compatibilityDate().toString());
    if (!app.compatibilityFlags().isEmpty()) {
      m.put("compatibility_flags", app.compatibilityFlags());
    }
    List<Object> bindings = new ArrayList<>();
    for (WorkerApp.Binding b : app.bindings()) {
      bindings.add(binding(b));
    }
    m.put("bindings", bindings);
    return m;
  }

  private static Map<String, Object> binding(WorkerApp.Binding b) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("type", b.type());
    out.put("name", b.name());
    Secret secret = b.secret();
    if (secret != null) {
      out.put("text", secret.reveal());
    }
    for (Map.Entry<String, String> e : b.attributes().entrySet()) {
      if (b.type().equals("json") && e.getKey().equals("json")) {
        try {
          out.put("json", Json.parse(e.getValue()));
        } catch (IllegalArgumentException bad) {
          throw new InvalidRequestException("binding " + b.name(), "is not valid JSON", "pass JSON text, such as {\"a\":1}");
        }
      } else {
        out.put(e.getKey(), e.getValue());
      }
    }
    return out;
  }

  /** The whole multipart body. */
  public static MultipartBody body(WorkerApp app) {
    MultipartBody.Builder mb = new MultipartBody.Builder().setType(MultipartBody.FORM);
    mb.addFormDataPart("metadata", null, RequestBody.create(Json.write(metadata(app)), JSON));
    for (WorkerApp.Module module : app.modules()) {
      mb.addFormDataPart(module.path(), module.path(),
          RequestBody.create(module.content(), moduleType(module.contentType())));
    }
    return mb.build();
  }

  private static MediaType moduleType(String contentType) {
    MediaType t = MODULE_TYPES.get(contentType);
    if (t == null) {
      t = MediaType.get(contentType);
      if (MODULE_TYPES.size() < MAX_KEPT_TYPES) {
        MODULE_TYPES.putIfAbsent(contentType, t);
      }
    }
    return t;
  }
}
