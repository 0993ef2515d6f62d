package dev.shard4j.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The short fuzz run of CI: a few seeds of {@link ApiFuzzer} (random sequences of the public API,
 * valid calls checked against the model, invalid ones against their documented exceptions,
 * allocators at 0 bytes at the end), each failing on a wrong value, an undocumented exception, a
 * leak or a hang. The long run is scripts/fuzz-api.sh.
 */
class ApiFuzzTest {
  private static final long CALLS = 25_000;
  /** A seed whose calls stop advancing this long has hung (collective episodes time out sooner). */
  private static final long HANG_SECONDS = 200;

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4})
  void aSeedRunsCleanly(long seed) {
    FuzzStats stats = new FuzzStats();
    String failure = FuzzMain.runOne(FuzzOptions.of(seed, CALLS), stats, HANG_SECONDS);
    assertNull(failure, failure);
    assertTrue(stats.calls() >= CALLS && stats.invalid() > CALLS / 20,
        "calls " + stats.calls() + ", invalid " + stats.invalid());
  }

  @Test
  void aRunIsAFunctionOfItsSeed() {
    FuzzStats first = new FuzzStats();
    FuzzStats second = new FuzzStats();
    assertNull(FuzzMain.runOne(FuzzOptions.of(77, 4000), first, HANG_SECONDS));
    assertNull(FuzzMain.runOne(FuzzOptions.of(77, 4000), second, HANG_SECONDS));
    assertEquals(first.table(), second.table(), "the same seed makes the same calls");
  }
}
