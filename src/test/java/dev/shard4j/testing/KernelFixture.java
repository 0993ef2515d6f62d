package dev.shard4j.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.function.Executable;

/**
 * Tensors of a kernel test, closed together: random inputs held exactly by their dtype, outputs
 * poisoned with NaN so that an element left unwritten shows, and the check of a refused call.
 */
public final class KernelFixture implements AutoCloseable {
  private final Allocator allocator;
  private final List<Tensor> open = new ArrayList<>();

  /**
   * A fixture with an allocator of its own.
   *
   * @param name the allocator's name
   */
  public KernelFixture(String name) {
    allocator = Allocator.root(name);
  }

  /** @return the allocator of the fixture's tensors */
  public Allocator allocator() {
    return allocator;
  }

  /** Keeps t to close with the fixture. */
  public Tensor keep(Tensor t) {
    open.add(t);
    return t;
  }

  /** A CPU tensor holding the values (rounded to dtype). */
  public Tensor of(double[] values, DType dtype, long... shape) {
    return keep(Tensors.fromArray(allocator, values, dtype, Device.CPU, shape));
  }

  /** Gaussian values of the dtype times scale, and the tensor holding them exactly. */
  public double[] random(Random r, DType dtype, double scale, long... shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return Reference.values(r, dtype, (int) n, scale);
  }

  /** A CPU tensor of NaN. */
  public Tensor poisoned(DType dtype, long... shape) {
    return keep(Tensors.full(allocator, dtype, Device.CPU, Double.NaN, shape));
  }

  /** A CPU tensor of integers. */
  public Tensor ints(int[] values, DType dtype, long... shape) {
    return keep(Tensors.fromArray(allocator, values, dtype, Device.CPU, shape));
  }

  /** The call throws an exception of the type whose message holds the fragment. */
  public static void refused(Class<? extends Throwable> type, String fragment, Executable call) {
    Throwable e = assertThrows(type, call);
    assertTrue(e.getMessage() != null && e.getMessage().contains(fragment),
        "expected '" + fragment + "' in: " + e.getMessage());
  }

  /** The call throws IllegalArgumentException naming the fragment. */
  public static void refused(String fragment, Executable call) {
    refused(IllegalArgumentException.class, fragment, call);
  }

  /** expected and actual agree within atol + rtol * |expected| (NaN only against NaN). */
  public static void close(double[] expected, double[] actual, double atol, double rtol, String what) {
    assertEquals(expected.length, actual.length, what + ": length");
    for (int i = 0; i < expected.length; i++) {
      double e = expected[i];
      double a = actual[i];
      boolean ok = Double.isNaN(e) ? Double.isNaN(a) : Math.abs(a - e) <= atol + rtol * Math.abs(e);
      if (!ok) {
        throw new AssertionError(what + ": element " + i + " is " + a + ", expected " + e);
      }
    }
  }

  @Override
  public void close() {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
    open.clear();
    assertEquals(0, allocator.allocatedBytes(), "tensors left open");
    allocator.close();
  }
}
