package dev.shard4j.jmh;

import dev.shard4j.bindings.NativeApi;
import dev.shard4j.bindings.Shard4jNative;
import dev.shard4j.kernels.AccumulateKernel;
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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What a call into native code costs: the same trivial function (return a constant) through a
 * hand-written JNI entry point (the floor), through our generated binding, and through the checked
 * layer above it; then a call that passes two tensors' addresses, and a whole kernel on a
 * 16-element tensor through the public API (argument checks included).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class CallOverheadBenchmark {
  private Allocator allocator;
  private Tensor small;
  private Tensor smallBf16;

  /** Loads both libraries and makes the tiny tensors. */
  @Setup
  public void setUp() {
    NativeApi.cpuThreads();
    PlainJni.abiVersion();
    allocator = Allocator.root("call-overhead");
    small = Tensors.uniform(allocator, DType.F32, Device.CPU, 1, -1, 1, 16);
    smallBf16 = Tensors.uniform(allocator, DType.BF16, Device.CPU, 2, -1, 1, 16);
  }

  /** Frees the tensors. */
  @TearDown
  public void tearDown() {
    small.close();
    smallBf16.close();
    allocator.close();
  }

  /**
   * Hand-written JNI.
   *
   * @return the constant
   */
  @Benchmark
  public int plainJni() {
    return PlainJni.abiVersion();
  }

  /**
   * The JavaCPP-generated binding of s4j_abi_version.
   *
   * @return the constant
   */
  @Benchmark
  public int binding() {
    return Shard4jNative.s4j_abi_version();
  }

  /**
   * The checked layer: library-loaded check, call, status.
   *
   * @return the host thread count
   */
  @Benchmark
  public int checkedBinding() {
    return NativeApi.cpuThreads();
  }

  /** A copy of 64 bytes between two tensors: their addresses are what crosses. */
  @Benchmark
  public void passTensors() {
    NativeApi.memcpy(small.dataAddress(), NativeApi.HOST, small.dataAddress() + 32, NativeApi.HOST, 32, 0);
  }

  /** The accumulate kernel on 16 elements through the public API. */
  @Benchmark
  public void tinyKernel() {
    AccumulateKernel.accumulate(small, smallBf16, 0.5, null);
  }
}
