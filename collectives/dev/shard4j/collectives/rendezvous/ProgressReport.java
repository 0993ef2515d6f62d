package dev.shard4j.collectives.rendezvous;

import dev.shard4j.bindings.Shard4jException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Says which ranks did not arrive when a collective times out on a backend that cannot tell (NCCL),
 * as PyTorch's desync report does: each rank that times out publishes the last operation it issued
 * to the launch's store, waits a short while for the others' reports, and compares them. A rank
 * that issued less than this one, or that reports nothing in time (hung in its own code, or dead),
 * is behind. Thread-safe as the store is.
 */
public final class ProgressReport {
  private ProgressReport() {}

  /**
   * What the comparison found.
   *
   * @param behind the ranks that issued fewer operations than this one or did not report
   * @param description one sentence per finding, for the exception message
   */
  public record Result(List<Integer> behind, String description) {}

  /**
   * Publishes this rank's progress and compares it with every other rank's.
   *
   * @param store the launch's store, shared by every rank of the communicator
   * @param scope names the communicator in the store (the same on every rank, unique per communicator)
   * @param rank this rank
   * @param size the ranks of the communicator
   * @param op the last operation this rank issued
   * @param seq its sequence number (1 for the first operation)
   * @param wait how long to wait for the others' reports, in all
   * @return the ranks behind and a description
   */
  public static Result compare(TcpStore store, String scope, int rank, int size, String op, long seq, Duration wait) {
    String prefix = "shard4j/progress/" + scope + "/";
    try {
      store.set(prefix + rank, (seq + " " + op).getBytes(StandardCharsets.UTF_8));
    } catch (Shard4jException e) {
      return new Result(List.of(), "the ranks' progress could not be compared: " + e.getMessage());
    }
    long deadline = System.nanoTime() + wait.toNanos();
    List<Integer> behind = new ArrayList<>();
    List<String> reports = new ArrayList<>();
    for (int q = 0; q < size; q++) {
      if (q == rank) {
        reports.add("rank " + q + " (this one) issued " + op + " #" + seq);
        continue;
      }
      Duration left = Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime()));
      try {
        String[] theirs = new String(store.get(prefix + q, left), StandardCharsets.UTF_8).split(" ", 2);
        long theirSeq = Long.parseLong(theirs[0]);
        reports.add("rank " + q + " issued " + theirs[1] + " #" + theirSeq);
        if (theirSeq < seq) {
          behind.add(q);
        }
      } catch (Shard4jException e) {
        reports.add("rank " + q + " did not report within " + wait.toMillis() + " ms (hung outside NCCL, or dead)");
        behind.add(q);
      }
    }
    String verdict = behind.isEmpty()
        ? "every rank issued as much as this one: all arrived, so NCCL itself did not complete"
        : "ranks " + behind + " did not arrive";
    return new Result(List.copyOf(behind), verdict + " (" + String.join(", ", reports) + ")");
  }
}
