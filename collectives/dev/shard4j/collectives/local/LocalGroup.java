package dev.shard4j.collectives.local;

import dev.shard4j.bindings.Setting;
import dev.shard4j.collectives.Communicator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The in-process CPU backend: a group of ranks that are threads of one JVM and share memory, so
 * that every collective reads the peers' buffers directly. Hand communicator i to the thread that
 * plays rank i.
 */
public final class LocalGroup {
  private LocalGroup() {}

  /**
   * A group whose waits time out after SHARD4J_TIMEOUT.
   *
   * @param size the number of ranks, 1 or more
   * @return the communicators of ranks 0 .. size - 1, each owned by the caller
   */
  public static List<Communicator> create(int size) {
    return create(size, Setting.TIMEOUT.asSeconds());
  }

  /**
   * A group with its own timeout.
   *
   * @param size the number of ranks, 1 or more
   * @param timeout how long any rank waits for the others before the group fails
   * @return the communicators of ranks 0 .. size - 1, each owned by the caller
   */
  public static List<Communicator> create(int size, Duration timeout) {
    if (size < 1 || size > 4096) {
      throw new IllegalArgumentException("group size must be in [1, 4096], got " + size);
    }
    if (timeout == null || timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive, got " + timeout);
    }
    GroupState state = new GroupState(size, timeout);
    List<Communicator> ranks = new ArrayList<>();
    for (int r = 0; r < size; r++) {
      ranks.add(new LocalCommunicator(state, r));
    }
    return List.copyOf(ranks);
  }
}
