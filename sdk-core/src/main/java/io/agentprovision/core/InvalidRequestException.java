package io.agentprovision.core;

/**
 * Input the SDK refuses before any side effect: nothing was charged, created or stored. The
 * message names the field, says what is wrong with it and how to fix it.
 *
 * <pre>{@code
 * try {
 *   Money.usd("-5.00");
 * } catch (InvalidRequestException e) {
 *   e.field();   // "amount"
 *   e.problem(); // "must not be negative"
 *   e.fix();     // "pass an amount of zero or more, such as \"5.00\""
 * }
 * }</pre>
 */
public class InvalidRequestException extends AgentProvisionException {
  private static final long serialVersionUID = 1L;

  private final String field;
  private final String problem;
  private final String fix;

  public InvalidRequestException(String field, String problem, String fix) {
    super(field + ": " + problem + " (fix: " + fix + ")");
    this.field = field;
    this.problem = problem;
    this.fix = fix;
  }

  /** The name of the offending field or argument, as the caller spelled it in the builder. */
  public String field() {
    return field;
  }

  /** What is wrong with the value. */
  public String problem() {
    return problem;
  }

  /** How to fix it. */
  public String fix() {
    return fix;
  }
}
