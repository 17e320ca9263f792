package io.agentprovision.core.internal.wire;

import com.squareup.moshi.JsonAdapter;
import com.squareup.moshi.JsonWriter;
import org.jspecify.annotations.Nullable;

/** An adapter for members the SDK only reads from remote answers; writing one is a programming error. */
public abstract class ReadOnlyAdapter<T> extends JsonAdapter<T> {
  @Override
  public void toJson(JsonWriter writer, @Nullable T value) {
    throw new UnsupportedOperationException("the SDK reads this member, never writes it");
  }
}
