package io.agentprovision.core;

import io.agentprovision.core.internal.random.StripedSecureRandom;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Makes the identifiers the SDK mints itself (run ids, approval ids, reservation ids). Injected so
 * that tests get predictable ids.
 */
@FunctionalInterface
public interface IdGenerator {
  /**
   * Random ids: {@code prefix + "_" + 20 hex characters} from a {@link SecureRandom} (one whose
   * instances are striped by thread: ids minted by many flows at once do not queue on one lock).
   */
  IdGenerator RANDOM = new IdGenerator() {
    private final SecureRandom random = StripedSecureRandom.SHARED;

    @Override
    public String next(String prefix) {
      byte[] bytes = new byte[10];
      random.nextBytes(bytes);
      return prefix + "_" + HexFormat.of().formatHex(bytes);
    }
  };

  /** A new identifier beginning with {@code prefix}, such as {@code run_3f9a…}. */
  String next(String prefix);
}
