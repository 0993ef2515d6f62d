package dev.shard4j.collectives.rendezvous;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The desync report: ranks that timed out compare their progress through the store. */
class ProgressReportTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  /** Ranks 0 and 2 issued allReduce #12 and timed out; rank 1 is at #11; rank 3 never reports. */
  @Test
  void theRanksBehindAreNamed() throws Exception {
    long[] seqs = {12, 11, 12};
    try (TcpStoreServer server = TcpStoreServer.start(InetAddress.getLoopbackAddress(), 0)) {
      ExecutorService pool = Executors.newFixedThreadPool(3);
      try {
        List<Future<ProgressReport.Result>> results = new ArrayList<>();
        for (int r = 0; r < 3; r++) {
          int rank = r;
          results.add(pool.submit(() -> {
            try (TcpStore store = TcpStore.connect("127.0.0.1", server.port(), TIMEOUT)) {
              String op = seqs[rank] == 12 ? "allReduce" : "broadcast";
              return ProgressReport.compare(store, "comm-a", rank, 4, op, seqs[rank], Duration.ofMillis(800));
            }
          }));
        }
        long start = System.nanoTime();
        ProgressReport.Result zero = results.get(0).get(30, TimeUnit.SECONDS);
        ProgressReport.Result one = results.get(1).get(30, TimeUnit.SECONDS);
        ProgressReport.Result two = results.get(2).get(30, TimeUnit.SECONDS);
        assertTrue((System.nanoTime() - start) / 1_000_000 < 5000, "waited about the report's wait only");
        assertEquals(List.of(1, 3), zero.behind());
        assertEquals(List.of(1, 3), two.behind());
        assertEquals(List.of(3), one.behind(), "rank 1 is behind only the silent rank's count");
        String d = zero.description();
        assertTrue(d.startsWith("ranks [1, 3] did not arrive") && d.contains("rank 1 issued broadcast #11")
            && d.contains("rank 2 issued allReduce #12") && d.contains("rank 3 did not report"), d);
      } finally {
        pool.shutdownNow();
      }
    }
  }

  /** When every rank issued the same operations, the report says so instead of blaming one. */
  @Test
  void ranksThatAllArrivedAreNotBlamed() throws Exception {
    try (TcpStoreServer server = TcpStoreServer.start(InetAddress.getLoopbackAddress(), 0);
        TcpStore a = TcpStore.connect("127.0.0.1", server.port(), TIMEOUT);
        TcpStore b = TcpStore.connect("127.0.0.1", server.port(), TIMEOUT)) {
      ExecutorService pool = Executors.newSingleThreadExecutor();
      try {
        Future<ProgressReport.Result> other = pool.submit(
            () -> ProgressReport.compare(b, "comm-b", 1, 2, "allGather", 7, Duration.ofSeconds(5)));
        ProgressReport.Result mine = ProgressReport.compare(a, "comm-b", 0, 2, "allGather", 7, Duration.ofSeconds(5));
        assertEquals(List.of(), mine.behind());
        assertEquals(List.of(), other.get(10, TimeUnit.SECONDS).behind());
        assertTrue(mine.description().contains("all arrived"), mine.description());
      } finally {
        pool.shutdownNow();
      }
    }
  }

  /** A store that is gone leaves the report empty-handed, with the reason, and never throws. */
  @Test
  void aStoreThatIsGoneIsSaid() {
    TcpStoreServer server = TcpStoreServer.start(InetAddress.getLoopbackAddress(), 0);
    TcpStore store = TcpStore.connect("127.0.0.1", server.port(), Duration.ofSeconds(2));
    server.close();
    ProgressReport.Result r = ProgressReport.compare(store, "comm-c", 0, 2, "barrier", 3, Duration.ofMillis(500));
    assertTrue(r.description().contains("could not be compared") || r.behind().equals(List.of(1)), r.description());
    store.close();
  }
}
