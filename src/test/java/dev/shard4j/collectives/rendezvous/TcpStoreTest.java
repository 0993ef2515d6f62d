package dev.shard4j.collectives.rendezvous;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shard4j.bindings.WaitTimeoutException;
import dev.shard4j.testing.FreePort;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TcpStoreTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void everyCallWorksAcrossClients() throws Exception {
    try (TcpStoreServer server = TcpStoreServer.start(InetAddress.getLoopbackAddress(), 0);
        TcpStore a = TcpStore.connect("127.0.0.1", server.port(), TIMEOUT);
        TcpStore c = TcpStore.connect("127.0.0.1", server.port(), TIMEOUT)) {
      a.set("k", b("v1"));
      assertArrayEquals(b("v1"), c.get("k"));
      assertEquals(5, a.add("n", 5));
      assertEquals(3, c.add("n", -2));
      assertArrayEquals(b("3"), a.get("n"));
      assertArrayEquals(b("first"), a.compareSet("cas", null, b("first")), "absent matches null");
      assertArrayEquals(b("first"), c.get("cas"));
      assertArrayEquals(b("first"), c.compareSet("cas", b("wrong"), b("second")), "no swap on mismatch");
      assertArrayEquals(b("second"), c.compareSet("cas", b("first"), b("second")));
      assertTrue(a.delete("k"));
      assertFalse(a.delete("k"));
      // get waits for a key another client sets later
      CompletableFuture<byte[]> later = CompletableFuture.supplyAsync(() -> c.get("late"));
      Thread.sleep(100);
      assertFalse(later.isDone());
      a.set("late", b("here"));
      assertArrayEquals(b("here"), later.get(10, TimeUnit.SECONDS));
      CompletableFuture<Void> both = CompletableFuture.runAsync(() -> c.waitFor(List.of("x", "y"), TIMEOUT));
      a.set("x", b(""));
      Thread.sleep(50);
      assertFalse(both.isDone());
      a.set("y", b(""));
      both.get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void callsTimeOutAndALostServerIsAClearError() {
    TcpStoreServer server = TcpStoreServer.start(InetAddress.getLoopbackAddress(), 0);
    TcpStore client = TcpStore.connect("127.0.0.1", server.port(), TIMEOUT);
    long start = System.nanoTime();
    WaitTimeoutException t = assertThrows(WaitTimeoutException.class, () -> client.get("never", Duration.ofMillis(300)));
    assertTrue(t.getMessage().contains("get('never')") && t.getMessage().contains("300 ms"), t.getMessage());
    assertTrue(System.nanoTime() - start < 5_000_000_000L);
    server.close();
    StoreException gone = assertThrows(StoreException.class, () -> client.set("a", b("b")));
    assertTrue(gone.getMessage().contains("is gone") || gone.getMessage().contains("lost"), gone.getMessage());
    StoreException again = assertThrows(StoreException.class, () -> client.get("a"));
    assertTrue(again.getMessage().contains("127.0.0.1:" + server.port()), again.getMessage());
    client.close();
  }

  @Test
  void connectingToNothingGivesUpAtTheTimeout() throws Exception {
    // A port bound but not listening refuses connections, and nobody else can take it meanwhile (a
    // port freed by closing a server could be handed to another socket of the test run).
    try (Socket bound = new Socket()) {
      bound.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      int port = bound.getLocalPort();
      long start = System.nanoTime();
      StoreException e = assertThrows(StoreException.class,
          () -> TcpStore.connect("127.0.0.1", port, Duration.ofMillis(500)));
      assertTrue(e.getMessage().contains("cannot reach the store at 127.0.0.1:" + port), e.getMessage());
      assertTrue(System.nanoTime() - start < 5_000_000_000L);
    }
  }

  /**
   * Rank 0 aborting its rendezvous (it failed) ends the others' wait for its value at once with a
   * clear error, where a close would keep the server up for them until their timeout.
   */
  @Test
  void anAbortedRendezvousFailsThePeersWaitingOnIt() throws Exception {
    int port = FreePort.pick();
    LaunchEnv zero = new LaunchEnv(0, 2, 0, 2, "127.0.0.1", port);
    LaunchEnv one = new LaunchEnv(1, 2, 1, 2, "127.0.0.1", port);
    Duration wait = Duration.ofSeconds(60);
    try (Rendezvous r0 = zero.join(wait); Rendezvous r1 = one.join(wait)) {
      CompletableFuture<Throwable> waiting = CompletableFuture.supplyAsync(() -> {
        try {
          r1.shareFromRankZero("never-made", () -> new byte[0]);
          return null;
        } catch (RuntimeException e) {
          return e;
        }
      });
      Thread.sleep(200); // rank 1 is waiting for rank 0's value
      long aborted = System.nanoTime();
      r0.abort();
      Throwable failure = waiting.get(30, TimeUnit.SECONDS);
      assertTrue(failure instanceof StoreException && failure.getMessage().contains("is gone"), String.valueOf(failure));
      assertTrue((System.nanoTime() - aborted) / 1e9 < 10, "failed at once, not at the 60 s timeout");
    }
  }

  @Test
  void launchEnvironmentIsReadAsTorchrunWritesIt() {
    LaunchEnv env = LaunchEnv.from(Map.of("RANK", "3", "WORLD_SIZE", "8", "LOCAL_RANK", "1", "LOCAL_WORLD_SIZE", "4",
        "MASTER_ADDR", "10.1.2.3", "MASTER_PORT", "29500"));
    assertEquals(new LaunchEnv(3, 8, 1, 4, "10.1.2.3", 29500), env);
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
        () -> LaunchEnv.from(Map.of("RANK", "0", "WORLD_SIZE", "2")));
    assertTrue(missing.getMessage().contains("MASTER_PORT is not set"), missing.getMessage());
    assertThrows(IllegalArgumentException.class, () -> LaunchEnv.from(Map.of("RANK", "2", "WORLD_SIZE", "2",
        "MASTER_PORT", "1")));
    assertThrows(IllegalArgumentException.class, () -> LaunchEnv.from(Map.of("RANK", "x", "WORLD_SIZE", "2",
        "MASTER_PORT", "1")));
  }
}
