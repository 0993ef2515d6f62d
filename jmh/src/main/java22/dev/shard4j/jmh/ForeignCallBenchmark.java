package dev.shard4j.jmh;

import dev.shard4j.bindings.NativeApi;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The s4j_abi_version call of {@link CallOverheadBenchmark} through java.lang.foreign (Java 22+),
 * as a downcall handle and as a critical one (no thread-state transition), on the library that
 * JavaCPP loaded.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ForeignCallBenchmark {
  private static final FunctionDescriptor RETURNS_INT = FunctionDescriptor.of(ValueLayout.JAVA_INT);
  private MethodHandle downcall;
  private MethodHandle criticalDowncall;

  /** Loads libshard4j through the binding, then finds the symbol among its loader's libraries. */
  @Setup
  public void setUp() {
    NativeApi.cpuThreads();
    Linker linker = Linker.nativeLinker();
    var symbol = SymbolLookup.loaderLookup().find("s4j_abi_version")
        .orElseThrow(() -> new IllegalStateException("s4j_abi_version is not among the loaded libraries"));
    downcall = linker.downcallHandle(symbol, RETURNS_INT);
    criticalDowncall = linker.downcallHandle(symbol, RETURNS_INT, Linker.Option.critical(false));
  }

  /**
   * A downcall handle.
   *
   * @return the constant
   * @throws Throwable never: the handle's signature
   */
  @Benchmark
  public int foreign() throws Throwable {
    return (int) downcall.invokeExact();
  }

  /**
   * A critical downcall handle: no safepoint transition, for calls as short as this one.
   *
   * @return the constant
   * @throws Throwable never: the handle's signature
   */
  @Benchmark
  public int foreignCritical() throws Throwable {
    return (int) criticalDowncall.invokeExact();
  }
}
