package io.agentprovision.core.internal.catalog;

import com.squareup.moshi.Json;
import com.squareup.moshi.JsonAdapter;
import com.squareup.moshi.JsonReader;
import com.squareup.moshi.Moshi;
import io.agentprovision.core.internal.wire.OneOrMany;
import io.agentprovision.core.internal.wire.ReadOnlyAdapter;
import io.agentprovision.core.internal.wire.WireJson;
import java.io.IOException;
import java.lang.annotation.Annotation;
import java.lang.reflect.Type;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The wire records of a catalog service's {@code pricing}, in the provider protocol's shapes and
 * Stripe's view of them (H/C in {@code docs/protocol.md}; M where marked). A union on {@code type}:
 * {@link Free}, {@link Paid}, {@link Component}, and {@link Other} for any other or missing type.
 * Every price-like object ({@link Price}) carries the same optional members wherever it appears: words
 * ({@code freeform}, {@code description}), an amount ({@code amount}, {@code unit_amount},
 * {@code minimum_amount}, with {@code currency}), an interval, and a {@code stripe_price}.
 */
public final class PricingJson {
  private PricingJson() {}

  /** One of the pricing forms. */
  public sealed interface Form permits Free, Paid, Component, Other {
    @Nullable String type();
  }

  /** {@code {type:"free"}}. */
  public record Free(@Nullable String type, @Nullable String description) implements Form {}

  /**
   * {@code {type:"paid", paid: Price | [Price]}}; Stripe's view lists {@code paid_pricing[]}; the
   * SDK's older sandboxes put {@code description} (and an amount) at the top.
   */
  public record Paid(@Nullable String type, @Nullable OneOrMany<Price> paid,
      @Json(name = "paid_pricing") @Nullable List<Price> paidPricing, @Nullable String description,
      @Nullable String freeform, @Nullable WireAmount amount, @Nullable String currency, @Nullable String interval)
      implements Form {}

  /** {@code {type:"component", component:{options:[Option]}}}. */
  public record Component(@Nullable String type, @Nullable ComponentBody component, @Nullable String description)
      implements Form {}

  /** The body of a component: its options, or (M) an interval and words of its own. */
  public record ComponentBody(@Nullable List<Option> options, @Nullable String interval, @Nullable String description,
      @Nullable String freeform, @Nullable WireAmount amount, @Nullable String currency) {}

  /**
   * A component option: {@code type} free or paid, its {@code paid} price(s), {@code default} (or
   * {@code is_default}), and the plans it runs under, {@code parent_service_ids} (Stripe's view:
   * {@code parent_services[]}, ids or objects).
   */
  public record Option(@Nullable String type, @Nullable OneOrMany<Price> paid,
      @Json(name = "default") @Nullable Boolean defaultOption, @Json(name = "is_default") @Nullable Boolean isDefault,
      @Json(name = "parent_service_ids") @Nullable List<String> parentServiceIds,
      @Json(name = "parent_services") @Nullable List<ServiceRef> parentServices, @Nullable String description,
      @Nullable String freeform) {}

  /** A service named by id: a string, or an object with {@code service_id}, {@code service} or {@code id}. */
  public record ServiceRef(@Nullable String id) {}

  /** Any other (or no) {@code type}; its words are kept for display. */
  public record Other(@Nullable String type, @Nullable String description, @Nullable String freeform) implements Form {}

  /** A price: {@code type} ({@code freeform}, {@code stripe_price}, or Stripe's {@code recurring}/{@code one_time}) and its data. */
  public record Price(@Nullable String type, @Nullable String freeform, @Nullable String description,
      @Json(name = "stripe_price") @Nullable StripePrice stripePrice, @Nullable Map<String, Object> configuration,
      @Json(name = "is_default") @Nullable Boolean isDefault, @Json(name = "default") @Nullable Boolean defaultPrice,
      @Nullable WireAmount amount, @Json(name = "unit_amount") @Nullable WireAmount unitAmount,
      @Json(name = "minimum_amount") @Nullable WireAmount minimumAmount, @Nullable String currency,
      @Nullable String interval, @Json(name = "recurring_interval") @Nullable String recurringInterval,
      @Nullable Recurring recurring) {}

  /** Stripe's {@code recurring{interval}}. */
  public record Recurring(@Nullable String interval) {}

  /**
   * A {@code stripe_price}: an id ({@code "price_…"}), or (M) the Price object itself with
   * {@code unit_amount}, {@code currency} and {@code recurring}.
   */
  public record StripePrice(@Nullable String id, @Json(name = "unit_amount") @Nullable WireAmount unitAmount,
      @Nullable String currency, @Nullable Recurring recurring) {}

  /**
   * An amount as sent: a JSON number (minor units), a string of digits (minor units, Stripe v2's
   * 64-bit encoding), a decimal string such as {@code "5.00"} (major units, M), or an object
   * {@code {value, currency}} (v2's amount).
   *
   * @param minor minor units, when given as an integer
   * @param decimal major units as a decimal string, when given so
   * @param currency the currency that came inside an amount object, else null
   */
  public record WireAmount(@Nullable Long minor, @Nullable String decimal, @Nullable String currency) {}

  /** Binds {@link ServiceRef} from an id or an object naming one ({@code parent_services[]}, {@code allowed_updates[]}). */
  public static final JsonAdapter.Factory SERVICE_REFS = new ServiceRefFactory();

  /** The binder for these records. */
  static final WireJson JSON = WireJson.with(
      WireJson.union(Form.class, "type", Map.of("free", Free.class, "paid", Paid.class, "component", Component.class),
          Other.class),
      new AmountFactory(), new StripePriceFactory(), SERVICE_REFS);

  /** Binds {@link WireAmount} from a number, a string or an amount object. */
  private static final class AmountFactory implements JsonAdapter.Factory {
    @Override
    public @Nullable JsonAdapter<?> create(Type type, Set<? extends Annotation> annotations, Moshi moshi) {
      if (type != WireAmount.class) {
        return null;
      }
      return new ReadOnlyAdapter<WireAmount>() {
        @Override
        public @Nullable WireAmount fromJson(JsonReader reader) throws IOException {
          return amount(reader, null);
        }
      };
    }

    private static @Nullable WireAmount amount(JsonReader reader, @Nullable String currency) throws IOException {
      switch (reader.peek()) {
        case NUMBER: {
          // a JSON number is minor units; one with a fraction is no amount the SDK can trust
          String s = reader.nextString().trim();
          if (s.matches("-?\\d{1,18}(\\.0+)?")) {
            return new WireAmount(Long.parseLong(s.replaceAll("\\.0+$", "")), null, currency);
          }
          return null;
        }
        case STRING: {
          String s = reader.nextString().trim();
          if (s.matches("-?\\d{1,18}")) {
            return new WireAmount(Long.parseLong(s), null, currency); // v2's 64-bit integers are strings
          }
          if (s.matches("-?\\d{1,18}\\.\\d+")) {
            return new WireAmount(null, s, currency); // a decimal string: major units
          }
          return null; // not an amount: ignored, so the price stays unknown
        }
        case BEGIN_OBJECT: {
          String c = null;
          String value = null;
          reader.beginObject();
          while (reader.hasNext()) {
            String name = reader.nextName();
            if ((name.equals("value") || name.equals("amount"))
                && (reader.peek() == JsonReader.Token.NUMBER || reader.peek() == JsonReader.Token.STRING)) {
              value = reader.nextString().trim();
            } else if (name.equals("currency") && reader.peek() == JsonReader.Token.STRING) {
              c = reader.nextString();
            } else {
              reader.skipValue();
            }
          }
          reader.endObject();
          if (value == null) {
            return null;
          }
          if (value.matches("-?\\d{1,18}(\\.0+)?")) {
            return new WireAmount(Long.parseLong(value.replaceAll("\\.0+$", "")), null, c);
          }
          return null;
        }
        default:
          reader.skipValue();
          return null;
      }
    }
  }

  /** Binds {@link StripePrice} from an id or a Price object. */
  private static final class StripePriceFactory implements JsonAdapter.Factory {
    @Override
    public @Nullable JsonAdapter<?> create(Type type, Set<? extends Annotation> annotations, Moshi moshi) {
      if (type != StripePrice.class || !annotations.isEmpty()) {
        return null;
      }
      JsonAdapter<StripePrice> object = moshi.nextAdapter(this, type, annotations);
      return new ReadOnlyAdapter<StripePrice>() {
        @Override
        public @Nullable StripePrice fromJson(JsonReader reader) throws IOException {
          if (reader.peek() == JsonReader.Token.STRING) {
            return new StripePrice(reader.nextString(), null, null, null);
          }
          return object.fromJson(reader);
        }
      };
    }
  }

  /** Binds {@link ServiceRef} from an id or an object naming one. */
  private static final class ServiceRefFactory implements JsonAdapter.Factory {
    @Override
    public @Nullable JsonAdapter<?> create(Type type, Set<? extends Annotation> annotations, Moshi moshi) {
      if (type != ServiceRef.class) {
        return null;
      }
      return new ReadOnlyAdapter<ServiceRef>() {
        @Override
        public @Nullable ServiceRef fromJson(JsonReader reader) throws IOException {
          return new ServiceRef(serviceRef(reader));
        }
      };
    }
  }

  /**
   * A service id from a string or from an object's {@code service_id}, {@code service} or {@code id}
   * (the forms {@code allowed_updates[]} and {@code parent_services[]} take); null for anything else.
   */
  public static @Nullable String serviceRef(JsonReader reader) throws IOException {
    if (reader.peek() == JsonReader.Token.STRING) {
      return reader.nextString();
    }
    if (reader.peek() != JsonReader.Token.BEGIN_OBJECT) {
      reader.skipValue();
      return null;
    }
    String serviceId = null;
    String service = null;
    String id = null;
    reader.beginObject();
    while (reader.hasNext()) {
      String name = reader.nextName();
      if (reader.peek() != JsonReader.Token.STRING) {
        reader.skipValue();
      } else if (name.equals("service_id")) {
        serviceId = reader.nextString();
      } else if (name.equals("service")) {
        service = reader.nextString();
      } else if (name.equals("id")) {
        id = reader.nextString();
      } else {
        reader.skipValue();
      }
    }
    reader.endObject();
    return serviceId != null ? serviceId : service != null ? service : id;
  }

}
