package dev.shard4j.collectives;

import dev.shard4j.bindings.Shard4jException;
import java.util.List;

/**
 * A collective failed: a timeout, a peer that failed or never arrived, ranks that called different
 * operations, or an abort. The message names the operation, its sequence number on this rank and,
 * where known, the ranks that did not arrive.
 */
public class CollectiveException extends Shard4jException {
  private static final long serialVersionUID = 1L;

  /** The operation that failed. */
  private final String operation;
  /** Its sequence number on the reporting rank. */
  private final long sequence;
  /** Ranks that did not arrive. */
  private final List<Integer> missingRanks;

  /**
   * Creates the exception.
   *
   * @param operation the operation's name, e.g. allReduce
   * @param sequence the operation's sequence number on the reporting rank (from 1)
   * @param missingRanks ranks that did not arrive (empty when not the cause)
   * @param message what happened
   * @param cause the underlying failure, or null
   */
  public CollectiveException(String operation, long sequence, List<Integer> missingRanks, String message,
      Throwable cause) {
    super(message, cause);
    this.operation = operation;
    this.sequence = sequence;
    this.missingRanks = List.copyOf(missingRanks);
  }

  /**
   * The operation that failed.
   *
   * @return its name
   */
  public String operation() {
    return operation;
  }

  /**
   * Its sequence number on the reporting rank.
   *
   * @return the number, from 1
   */
  public long sequence() {
    return sequence;
  }

  /**
   * The ranks that did not arrive.
   *
   * @return their numbers, empty when that was not the cause
   */
  public List<Integer> missingRanks() {
    return missingRanks;
  }
}
