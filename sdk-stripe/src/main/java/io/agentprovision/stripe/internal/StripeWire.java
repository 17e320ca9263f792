package io.agentprovision.stripe.internal;

import com.squareup.moshi.Json;
import com.squareup.moshi.JsonAdapter;
import com.squareup.moshi.JsonDataException;
import com.squareup.moshi.JsonReader;
import com.squareup.moshi.JsonWriter;
import com.squareup.moshi.Moshi;
import com.squareup.moshi.Types;
import io.agentprovision.core.wire.WireRecords;
import io.agentprovision.core.wire.WireRecords.Required;
import java.io.IOException;
import java.lang.annotation.Annotation;
import java.lang.reflect.Type;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * How sdk-stripe binds Stripe's answers to records ({@link ProvisioningJson}, {@link SharedPaymentJson},
 * and here the v2 list envelope and Stripe's error body): {@link WireRecords} plus Stripe's two
 * encodings of numbers and times. The v2 API sends 64-bit integers as strings ({@code "10000"}) and
 * timestamps as RFC 3339 text; v1 sends JSON numbers and Unix seconds. Every {@link Long} and
 * {@link Instant} in these records accepts both, so no call parses either by hand; anything else
 * there is a {@link io.agentprovision.core.wire.WireFormatException} naming the member.
 */
public final class StripeWire {
  private StripeWire() {}

  /** The binder for every Stripe record. */
  public static final WireRecords WIRE = WireRecords.with(new Int64Factory(), new InstantFactory(),
      new AmountFactory(), new ActiveServiceFactory(), WireRecords.stringOr(ProvisioningJson.UserMessageJson.class,
          m -> new ProvisioningJson.UserMessageJson(m, null)),
      WireRecords.stringOr(ProvisioningJson.ServiceRefJson.class, s -> new ProvisioningJson.ServiceRefJson(s, null, null)));

  /** The type of a v2 list of {@code item}s, for {@link WireRecords#read(Type, String)}. */
  public static Type listOf(Class<?> item) {
    return Types.newParameterizedTypeWithOwner(StripeWire.class, ListJson.class, item);
  }

  // ---------------------------------------------------------------- shared shapes

  /**
   * A v2 list: {@code {data[], next_page_url}} ({@code previous_page_url} and the rest ignored). A
   * list without {@code data} is malformed, not empty: an empty catalog would otherwise hide a
   * renamed member.
   */
  public record ListJson<T>(@Required List<T> data, @Json(name = "next_page_url") @Nullable String nextPageUrl) {}

  /**
   * Stripe's error body, v1 and v2 alike: {@code {error:{type, code, message, param, …}}}. v2 may
   * leave out {@code type} ({@code code:"invalid_fields"}) and adds {@code user_message}.
   */
  public record ErrorBodyJson(@Nullable ErrorJson error) {}

  /** The {@code error} object of {@link ErrorBodyJson}. */
  public record ErrorJson(@Nullable String type, @Nullable String code, @Nullable String message,
      @Nullable String param, @Json(name = "decline_code") @Nullable String declineCode,
      @Json(name = "doc_url") @Nullable String docUrl, @Json(name = "user_message") @Nullable String userMessage) {}

  /**
   * An amount in minor units: a JSON number or a string of digits, or v2's and newer v1 versions'
   * object {@code {value, currency}} (Stripe's SPT examples send {@code amount_captured} so).
   *
   * @param currency the currency when the amount came as an object holding one, else null
   */
  public record AmountJson(@Required Long value, @Nullable String currency) {}

  // ---------------------------------------------------------------- adapters

  /** The integers read from text: the rule {@link #integer} checks by hand (its tests compare the two). */
  static final Pattern INTEGER = Pattern.compile("-?\\d{1,19}");
  /** The integers read from a JSON number, a fraction of zeros allowed: the rule of {@link #integralNumber}. */
  static final Pattern INTEGRAL_NUMBER = Pattern.compile("-?\\d{1,19}(\\.0+)?");

  /** A 64-bit integer from a JSON number (v1) or a string of digits (v2). */
  static final class Int64Factory implements JsonAdapter.Factory {
    @Override
    public @Nullable JsonAdapter<?> create(Type type, Set<? extends Annotation> annotations, Moshi moshi) {
      if (type != Long.class || !annotations.isEmpty()) {
        return null;
      }
      return new ReadOnly<Long>() {
        @Override
        public @Nullable Long fromJson(JsonReader reader) throws IOException {
          return int64(reader);
        }
      }.nullSafe();
    }
  }

  private static Long int64(JsonReader reader) throws IOException {
    JsonReader.Token t = reader.peek();
    if (t == JsonReader.Token.NUMBER || t == JsonReader.Token.STRING) {
      String text = reader.nextString().trim();
      Long read = t == JsonReader.Token.NUMBER ? integralNumber(text) : integer(text);
      if (read != null) {
        return read;
      }
      // after a string or number the path still names its member: read it only for the error
      throw new JsonDataException("Expected a 64-bit integer but was " + t + " at path " + reader.getPath());
    }
    String path = reader.getPath(); // before skipping, which moves it past the value
    reader.skipValue();
    // the value itself is never quoted: it may be anything the answer holds
    throw new JsonDataException("Expected a 64-bit integer but was " + t + " at path " + path);
  }

  /**
   * {@code text} as a 64-bit integer when it is 1 to 19 digits after an optional minus ({@link #INTEGER}),
   * else null; checked by hand, as it is on the path of every amount Stripe sends.
   */
  static @Nullable Long integer(String text) {
    int n = text.length();
    int start = n > 0 && text.charAt(0) == '-' ? 1 : 0;
    int digits = n - start;
    if (digits < 1 || digits > 19) {
      return null;
    }
    for (int i = start; i < n; i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return null;
      }
    }
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      return null; // beyond 64 bits
    }
  }

  /** Like {@link #integer}, allowing a fraction of zeros ({@link #INTEGRAL_NUMBER}): {@code 10.0}. */
  static @Nullable Long integralNumber(String text) {
    int dot = text.indexOf('.');
    if (dot < 0) {
      return integer(text);
    }
    if (dot == text.length() - 1) {
      return null;
    }
    for (int i = dot + 1; i < text.length(); i++) {
      if (text.charAt(i) != '0') {
        return null;
      }
    }
    return integer(text.substring(0, dot));
  }

  /**
   * A timestamp from RFC 3339 text (v2, with or without fraction and offset) or Unix seconds as a
   * JSON number or a string of digits (v1). An empty string is absent.
   */
  static final class InstantFactory implements JsonAdapter.Factory {
    @Override
    public @Nullable JsonAdapter<?> create(Type type, Set<? extends Annotation> annotations, Moshi moshi) {
      if (type != Instant.class || !annotations.isEmpty()) {
        return null;
      }
      return new ReadOnly<Instant>() {
        @Override
        public @Nullable Instant fromJson(JsonReader reader) throws IOException {
          JsonReader.Token t = reader.peek();
          if (t == JsonReader.Token.STRING || t == JsonReader.Token.NUMBER) {
            String text = reader.nextString().trim();
            if (t == JsonReader.Token.STRING && text.isEmpty()) {
              return null;
            }
            Instant read = instant(text);
            if (read != null) {
              return read;
            }
            throw new JsonDataException("Expected a timestamp (RFC 3339 or Unix seconds) but was " + t + " at path "
                + reader.getPath());
          }
          String path = reader.getPath(); // before skipping, which moves it past the value
          reader.skipValue();
          throw new JsonDataException("Expected a timestamp (RFC 3339 or Unix seconds) but was " + t + " at path "
              + path);
        }
      }.nullSafe();
    }

    static @Nullable Instant instant(String text) {
      try {
        Long seconds = integralNumber(text);
        if (seconds != null) {
          return Instant.ofEpochSecond(seconds);
        }
        Instant utc = utcSeconds(text);
        if (utc != null) {
          return utc;
        }
        try {
          return Instant.parse(text);
        } catch (DateTimeParseException e) {
          return OffsetDateTime.parse(text).toInstant();
        }
      } catch (DateTimeException | NumberFormatException e) {
        return null;
      }
    }

    /**
     * The form Stripe sends, {@code 2026-12-06T17:00:00Z} or with a fraction of up to nine digits
     * ({@code .123Z}), read without the formatter; anything else (an offset, a leap second, a
     * lower-case {@code t}) is null and left to {@link Instant#parse}. A date that does not exist
     * throws, as {@link Instant#parse} does.
     */
    static @Nullable Instant utcSeconds(String s) {
      int n = s.length();
      if (n < 20 || n > 30 || s.charAt(n - 1) != 'Z' || s.charAt(4) != '-' || s.charAt(7) != '-'
          || s.charAt(10) != 'T' || s.charAt(13) != ':' || s.charAt(16) != ':') {
        return null;
      }
      int year = num(s, 0, 4);
      int month = num(s, 5, 7);
      int day = num(s, 8, 10);
      int hour = num(s, 11, 13);
      int minute = num(s, 14, 16);
      int second = num(s, 17, 19);
      if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0 || hour > 23 || minute > 59
          || second > 59) {
        return null;
      }
      int nano = 0;
      if (n > 20) {
        int digits = n - 21;
        if (s.charAt(19) != '.' || digits < 1 || digits > 9) {
          return null;
        }
        nano = num(s, 20, n - 1);
        if (nano < 0) {
          return null;
        }
        for (int i = digits; i < 9; i++) {
          nano *= 10;
        }
      } else if (s.charAt(19) != 'Z') {
        return null;
      }
      // LocalDate.of refuses a day the month does not have, as the formatter does
      long days = java.time.LocalDate.of(year, month, day).toEpochDay();
      return Instant.ofEpochSecond(days * 86_400L + hour * 3_600L + minute * 60L + second, nano);
    }

    /** The decimal digits {@code s[from, to)}, or -1 when one is not a digit. */
    private static int num(String s, int from, int to) {
      int v = 0;
      for (int i = from; i < to; i++) {
        char c = s.charAt(i);
        if (c < '0' || c > '9') {
          return -1;
        }
        v = v * 10 + (c - '0');
      }
      return v;
    }
  }

  /** {@link AmountJson} from a bare number or string of digits, or from its object. */
  static final class AmountFactory implements JsonAdapter.Factory {
    @Override
    public @Nullable JsonAdapter<?> create(Type type, Set<? extends Annotation> annotations, Moshi moshi) {
      if (type != AmountJson.class || !annotations.isEmpty()) {
        return null;
      }
      JsonAdapter<AmountJson> object = moshi.nextAdapter(this, type, annotations);
      return new ReadOnly<AmountJson>() {
        @Override
        public @Nullable AmountJson fromJson(JsonReader reader) throws IOException {
          JsonReader.Token t = reader.peek();
          if (t == JsonReader.Token.NUMBER || t == JsonReader.Token.STRING) {
            return new AmountJson(int64(reader), null);
          }
          return object.fromJson(reader);
        }
      }.nullSafe();
    }
  }

  /** An adapter for what the SDK only reads. */
  /**
   * {@code active_services[]} elements, read member by member as moshi's record binding reads them
   * (members not declared skipped, the last of a repeated member kept, text only from a JSON string,
   * the same errors), without its reflective constructor call per element. A connection lists every
   * service its account has, so each run that links a shared account reads a list that grows with
   * the account's history: this is the one record read thousands of times per answer.
   */
  static final class ActiveServiceFactory implements JsonAdapter.Factory {
    private static final JsonReader.Options NAMES = JsonReader.Options.of("service_id", "status");

    @Override
    public @Nullable JsonAdapter<?> create(Type type, Set<? extends Annotation> annotations, Moshi moshi) {
      if (type != ProvisioningJson.ActiveServiceJson.class || !annotations.isEmpty()) {
        return null;
      }
      JsonAdapter<ProvisioningJson.ActiveServiceJson> record = moshi.nextAdapter(this, type, annotations);
      JsonAdapter<String> text = moshi.adapter(String.class);
      return new JsonAdapter<ProvisioningJson.ActiveServiceJson>() {
        @Override
        public ProvisioningJson.ActiveServiceJson fromJson(JsonReader reader) throws IOException {
          String serviceId = null;
          String status = null;
          reader.beginObject();
          while (reader.hasNext()) {
            switch (reader.selectName(NAMES)) {
              case 0 -> serviceId = text.fromJson(reader);
              case 1 -> status = text.fromJson(reader);
              default -> {
                reader.skipName();
                reader.skipValue();
              }
            }
          }
          reader.endObject();
          return new ProvisioningJson.ActiveServiceJson(serviceId, status);
        }

        @Override
        public void toJson(JsonWriter writer, ProvisioningJson.@Nullable ActiveServiceJson value) throws IOException {
          record.toJson(writer, value);
        }
      }.nullSafe();
    }
  }

  private abstract static class ReadOnly<T> extends JsonAdapter<T> {
    @Override
    public void toJson(JsonWriter writer, @Nullable T value) {
      throw new UnsupportedOperationException("the SDK reads this member from Stripe, never writes it");
    }
  }
}
