package io.agentprovision.core.internal.random;

import java.nio.ByteBuffer;
import java.security.DrbgParameters;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.SecureRandomParameters;
import java.security.SecureRandomSpi;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Cryptographically strong random bytes for the SDK's ids, nonces and secrets, without a lock that
 * every thread of the JVM shares.
 *
 * <p>Why not {@code new SecureRandom()}: on Linux that is {@code NativePRNG}, and every instance of
 * it draws through one JVM-wide monitor (and reads {@code /dev/urandom} under it), so a thousand
 * flows minting run ids, approval ids and nonces queue on it. Here a small number of independently
 * seeded {@code DRBG} instances (NIST SP 800-90A Hash_DRBG, 256-bit strength, seeded from the
 * platform's entropy source and each given its own personalization string) are striped by thread,
 * each under its own lock: threads mostly draw from different instances, and one that waits parks
 * (a virtual thread without holding its carrier). Nothing is kept per thread, so a virtual thread
 * per task costs no seeding: the stripes are seeded once each, on first use.
 *
 * <p>{@link #setSeed(byte[])} adds to every stripe's state (the DRBG's additional input), it never
 * replaces it: seeding this generator with a known value does not make its output predictable.
 */
public final class StripedSecureRandom extends SecureRandom {
  private static final long serialVersionUID = 1L;

  /** The generator the SDK's defaults draw from. */
  public static final StripedSecureRandom SHARED = new StripedSecureRandom(defaultStripes());

  private final transient Stripes stripes;

  /** A generator of {@code stripes} independently seeded instances (rounded up to a power of two). */
  public StripedSecureRandom(int stripes) {
    this(new Stripes(stripes));
  }

  private StripedSecureRandom(Stripes stripes) {
    super(stripes, null);
    this.stripes = stripes;
  }

  /** How many instances it draws from. */
  public int stripes() {
    return stripes.drbgs.length;
  }

  // SecureRandom wraps each call of a provider it cannot tell thread-safe in a monitor of its own;
  // these go to the stripes directly, which are
  @Override
  public void nextBytes(byte[] bytes) {
    stripes.engineNextBytes(Objects.requireNonNull(bytes, "bytes"));
  }

  @Override
  public void nextBytes(byte[] bytes, SecureRandomParameters params) {
    stripes.engineNextBytes(Objects.requireNonNull(bytes, "bytes"), Objects.requireNonNull(params, "params"));
  }

  @Override
  public void setSeed(byte[] seed) {
    stripes.engineSetSeed(Objects.requireNonNull(seed, "seed"));
  }

  @Override
  public byte[] generateSeed(int numBytes) {
    if (numBytes < 0) {
      throw new IllegalArgumentException("numBytes cannot be negative");
    }
    return stripes.engineGenerateSeed(numBytes);
  }

  @Override
  public void reseed() {
    stripes.engineReseed(null);
  }

  @Override
  public void reseed(SecureRandomParameters params) {
    stripes.engineReseed(Objects.requireNonNull(params, "params"));
  }

  @Override
  public String getAlgorithm() {
    return "DRBG";
  }

  @Override
  public String toString() {
    return "StripedSecureRandom[" + stripes() + " x DRBG]";
  }

  /** Two instances per core, rounded up to a power of two, between 4 and 64. */
  private static int defaultStripes() {
    return Math.min(64, Math.max(4, 2 * Runtime.getRuntime().availableProcessors()));
  }

  /** The instances and their locks; the thread's id picks one. */
  private static final class Stripes extends SecureRandomSpi {
    private static final long serialVersionUID = 1L;
    private final transient SecureRandom[] drbgs;
    private final transient ReentrantLock[] locks;
    private final int mask;

    Stripes(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("stripes must be at least 1, was " + n);
      }
      int size = Integer.highestOneBit(n) == n ? n : Integer.highestOneBit(n) << 1;
      this.drbgs = new SecureRandom[size];
      this.locks = new ReentrantLock[size];
      this.mask = size - 1;
      long made = System.nanoTime();
      for (int i = 0; i < size; i++) {
        drbgs[i] = drbg(i, made);
        locks[i] = new ReentrantLock();
      }
    }

    /**
     * An instance seeded on first use from the platform's entropy, its personalization string (its
     * stripe and the time it was made) keeping it apart from every other even were two seeds alike.
     */
    private static SecureRandom drbg(int stripe, long made) {
      byte[] personalization = ByteBuffer.allocate(32).put("agentprovision".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
          .putInt(16, stripe).putLong(20, made).putInt(28, System.identityHashCode(new Object())).array();
      try {
        return SecureRandom.getInstance("DRBG",
            DrbgParameters.instantiation(256, DrbgParameters.Capability.NONE, personalization));
      } catch (NoSuchAlgorithmException e) {
        // every Java 9+ runtime's SUN provider has DRBG; a platform without it still gets strong bytes
        return new SecureRandom();
      }
    }

    @SuppressWarnings("deprecation") // Thread.getId: threadId() is Java 19+; the same number
    private int stripe() {
      long id = Thread.currentThread().getId();
      return (int) (id ^ (id >>> 32)) & mask;
    }

    @Override
    protected void engineNextBytes(byte[] bytes) {
      int i = stripe();
      locks[i].lock();
      try {
        drbgs[i].nextBytes(bytes);
      } finally {
        locks[i].unlock();
      }
    }

    @Override
    protected void engineNextBytes(byte[] bytes, SecureRandomParameters params) {
      int i = stripe();
      locks[i].lock();
      try {
        drbgs[i].nextBytes(bytes, params);
      } finally {
        locks[i].unlock();
      }
    }

    @Override
    protected void engineSetSeed(byte[] seed) {
      for (int i = 0; i < drbgs.length; i++) {
        locks[i].lock();
        try {
          drbgs[i].setSeed(seed);
        } finally {
          locks[i].unlock();
        }
      }
    }

    @Override
    protected byte[] engineGenerateSeed(int numBytes) {
      return drbgs[stripe()].generateSeed(numBytes);
    }

    @Override
    protected void engineReseed(@org.jspecify.annotations.Nullable SecureRandomParameters params) {
      for (int i = 0; i < drbgs.length; i++) {
        locks[i].lock();
        try {
          if (params == null) {
            drbgs[i].reseed();
          } else {
            drbgs[i].reseed(params);
          }
        } finally {
          locks[i].unlock();
        }
      }
    }
  }
}
