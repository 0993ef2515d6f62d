package dev.shard4j.fuzz;

import java.util.List;

/**
 * A call that did not do what the API promises: an undocumented exception, a wrong value, a leak,
 * a hang. Names the seed and the call index, so that the same run replays up to it, and the calls
 * just before.
 */
final class FuzzFailure extends AssertionError {
  private static final long serialVersionUID = 1L;

  final long seed;
  final long call;

  FuzzFailure(FuzzOptions options, long call, String what, List<String> recent, Throwable cause) {
    super(message(options, call, what, recent), cause);
    this.seed = options.seed();
    this.call = call;
  }

  private static String message(FuzzOptions options, long call, String what, List<String> recent) {
    StringBuilder s = new StringBuilder("seed ").append(options.seed()).append(", call #").append(call).append(": ")
        .append(what).append("\n  replay: scripts/fuzz-api.sh --seed ").append(options.seed()).append(" --calls ")
        .append(call + 1);
    s.append(" --trace\n  the calls before it:");
    for (String line : recent) {
      s.append("\n    ").append(line);
    }
    return s.toString();
  }
}
