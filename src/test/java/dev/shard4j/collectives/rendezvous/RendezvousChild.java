package dev.shard4j.collectives.rendezvous;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;

/** One rank of the multi-process rendezvous test: a separate JVM launched with torchrun's variables. */
public final class RendezvousChild {
  private RendezvousChild() {}

  public static void main(String[] args) {
    LaunchEnv env = LaunchEnv.fromEnv();
    try (Rendezvous rv = env.join(Duration.ofSeconds(60))) {
      long arrived = rv.store().add("arrived", 1);
      byte[] id = rv.shareFromRankZero("nccl-unique-id", () -> {
        byte[] b = new byte[128];
        new SecureRandom().nextBytes(b);
        return b;
      });
      rv.barrier();
      long total = Long.parseLong(new String(rv.store().get("arrived"), java.nio.charset.StandardCharsets.UTF_8));
      System.out.println("rank " + env.rank() + " id " + HexFormat.of().formatHex(id) + " arrived " + arrived
          + " total " + total);
    }
  }
}
