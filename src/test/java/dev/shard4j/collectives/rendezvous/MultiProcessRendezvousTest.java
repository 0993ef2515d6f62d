package dev.shard4j.collectives.rendezvous;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shard4j.testing.FreePort;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Several JVMs find each other through the store on loopback, as torchrun would start them. */
class MultiProcessRendezvousTest {

  @Test
  void threeProcessesAgreeOnRankZerosId() throws Exception {
    int port = FreePort.pick();
    int world = 3;
    String java = ProcessHandle.current().info().command().orElse("java");
    List<Process> processes = new ArrayList<>();
    for (int r = world - 1; r >= 0; r--) { // rank 0 last: the others must wait for its server
      ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
          RendezvousChild.class.getName());
      pb.environment().put("RANK", Integer.toString(r));
      pb.environment().put("WORLD_SIZE", Integer.toString(world));
      pb.environment().put("MASTER_ADDR", "127.0.0.1");
      pb.environment().put("MASTER_PORT", Integer.toString(port));
      pb.redirectErrorStream(true);
      processes.add(pb.start());
      Thread.sleep(100);
    }
    Set<String> ids = new HashSet<>();
    try {
      for (Process p : processes) {
        assertTrue(p.waitFor(90, TimeUnit.SECONDS), "a rank hung");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        String line = out.lines().filter(l -> l.startsWith("rank ")).findFirst().orElseThrow(() -> new AssertionError(out));
        String[] f = line.split(" ");
        ids.add(f[3]);
        assertEquals("3", f[7], line);
      }
    } finally {
      for (Process p : processes) {
        p.destroyForcibly();
      }
    }
    assertEquals(1, ids.size(), "every rank got rank 0's id: " + ids);
    assertEquals(256, ids.iterator().next().length());
  }
}
