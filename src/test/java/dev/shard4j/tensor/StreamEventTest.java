package dev.shard4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shard4j.bindings.WaitTimeoutException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class StreamEventTest {

  @Test
  void cpuStreamsRunInOrderAndAreAlwaysDone() {
    try (Allocator a = Allocator.root("streams");
        Stream s = Stream.create(Device.CPU);
        Tensor src = Tensors.arange(a, DType.F32, Device.CPU, 5);
        Tensor dst = Tensors.zeros(a, DType.F64, Device.CPU, 5);
        Event start = Event.create(Device.CPU, true);
        Event end = Event.create(Device.CPU, true)) {
      start.record(s);
      dst.copyFrom(src, s);
      end.record(s);
      s.waitFor(end);
      assertTrue(s.isDone());
      assertTrue(end.isDone());
      s.synchronize(Duration.ofSeconds(1));
      end.synchronize();
      assertEquals(0f, Event.elapsedMillis(start, end));
      assertEquals(4.0, dst.toDoubleArray()[4]);
      try (Event e = s.record()) {
        assertTrue(e.isDone());
      }
    }
  }

  @Test
  void closedStreamsAndEventsRefuseUse() {
    Stream s = Stream.create(Device.CPU);
    Event e = Event.create(Device.CPU, false);
    s.close();
    s.close();
    e.close();
    assertThrows(IllegalStateException.class, s::isDone);
    assertThrows(IllegalStateException.class, e::isDone);
    try (Stream other = Stream.create(Device.CPU)) {
      assertThrows(IllegalStateException.class, () -> other.waitFor(e));
    }
  }

  @Test
  void timingNeedsTimingEvents() {
    try (Event a = Event.create(Device.CPU, false); Event b = Event.create(Device.CPU, false)) {
      assertThrows(IllegalArgumentException.class, () -> Event.elapsedMillis(a, b));
    }
  }

  @Test
  void waitsGiveUpAtTheirTimeout() {
    long start = System.nanoTime();
    WaitTimeoutException e = assertThrows(WaitTimeoutException.class,
        () -> Stream.awaitDone(() -> false, Duration.ofMillis(200), "test work"));
    long elapsedMs = (System.nanoTime() - start) / 1_000_000;
    assertTrue(elapsedMs >= 200 && elapsedMs < 10_000, "gave up after " + elapsedMs + " ms");
    assertTrue(e.getMessage().contains("test work was not done after 200 ms"), e.getMessage());
  }
}
