package io.agentprovision.core.wire;

/**
 * A remote answer does not have the shape the SDK needs: a required member is missing or a member
 * has the wrong JSON type. {@link #path()} names it (such as {@code $.data[2].id}); the message never
 * holds a value from the answer. {@link WireRecords} throws it; an adapter turns it into its
 * {@link io.agentprovision.core.MalformedResponseException}, which adds the call, status and request id.
 */
public final class WireFormatException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String path;
  private final String problem;

  /**
   * @param path where in the answer, as a JSON path such as {@code $.data[2].id}
   * @param problem what is wrong there, such as {@code "is missing"}; never a value from the answer
   */
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
