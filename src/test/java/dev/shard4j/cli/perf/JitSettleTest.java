package dev.shard4j.cli.perf;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class JitSettleTest {
  @Test
  void noWaitWhenTheLimitIsZero() {
    long t0 = System.nanoTime();
    assertTrue(JitSettle.await(Duration.ZERO));
    assertTrue(System.nanoTime() - t0 < JitSettle.QUIET.toNanos(), "returned without polling");
  }

  @Test
  void anIdleJitIsSeenIdleWithinTheLimit() {
    // Nothing here keeps the compiler busy: it finishes its queue and the wait ends, a quiet period
    // after that, well before the limit.
    assertTrue(JitSettle.await(Duration.ofSeconds(20)));
  }
}
