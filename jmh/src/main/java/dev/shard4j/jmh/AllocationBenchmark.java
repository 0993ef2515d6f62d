package dev.shard4j.jmh;

import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * A tensor allocated and closed, with the accounting of a child allocator. On the host, "caching"
 * is a caching root allocator (the block comes back from its cache) and "cold" a plain one
 * (posix_memalign and free each time). On a GPU ({@code -p device=cuda:0}), "caching" is the
 * stream-ordered pool keeping the block and "cold" empties the pool after each free, so that
 * every allocation goes to the driver.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class AllocationBenchmark {
  /** cold or caching. */
  @Param({"caching", "cold"})
  public String path;

  /** Bytes of the tensor. */
  @Param({"1024", "1048576", "67108864"})
  public long bytes;

  /** cpu or cuda:N. */
  @Param({"cpu"})
  public String device;

  private Device where;
  private Allocator root;
  private Allocator child;
  private boolean emptyDevicePool;

  /** Makes the allocators; the caching path warms its cache with one block. */
  @Setup
  public void setUp() {
    where = Device.parse(device);
    boolean caching = path.equals("caching");
    if (!caching && !path.equals("cold")) {
      throw new IllegalArgumentException("path must be caching or cold, got " + path);
    }
    root = caching ? Allocator.caching("jmh") : Allocator.root("jmh");
    child = root.newChild("rank0", Long.MAX_VALUE);
    emptyDevicePool = where.isCuda() && !caching;
    allocateAndFree();
  }

  /** Closes the allocators, freeing the cache. */
  @TearDown
  public void tearDown() {
    child.close();
    root.close();
    where.emptyCache();
  }

  /** One tensor allocated and closed. */
  @Benchmark
  public void allocateAndFree() {
    Tensor t = Tensors.empty(child, DType.I8, where, bytes);
    t.close();
    if (emptyDevicePool) {
      where.emptyCache();
    }
  }
}
