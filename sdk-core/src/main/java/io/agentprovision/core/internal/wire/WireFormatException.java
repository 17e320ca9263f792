package io.agentprovision.core.internal.wire;

/**
 * A remote answer does not have the shape the SDK needs: a required member is missing or a member
 * has the wrong JSON type. {@link #path()} names it (such as {@code $.data[2].id}); the message never
 * holds a value from the answer.
 */
public final class WireFormatException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String path;
  private final String problem;

  public WireFormatException(String path, String problem) {
    super(path + " " + problem);
    this.path = path;
    this.problem = problem;
  }

  /** What is wrong with it, such as {@code "is missing"}. */
  public String problem() {
    return problem;
  }

  /** Where in the answer, as a JSON path such as {@code $.credentials.bearer.access_token}. */
  public String path() {
    return path;
  }
}
