package dev.shard4j.models.gpt;

import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import java.util.ArrayList;
import java.util.List;

/**
 * The tensors of one piece of work, closed together (newest first) unless handed on with
 * {@link #release}: a pass of the model makes many temporaries, and one scope keeps every error
 * path free of leaks. Used on one thread.
 */
final class Scope implements AutoCloseable {
  private final Allocator allocator;
  private final Device device;
  private final List<Tensor> owned = new ArrayList<>();

  Scope(Allocator allocator, Device device) {
    this.allocator = allocator;
    this.device = device;
  }

  /** A new uninitialised tensor, closed with the scope. */
  Tensor empty(DType dtype, long... shape) {
    return keep(Tensors.empty(allocator, dtype, device, shape));
  }

  /** A new zeroed tensor, closed with the scope. */
  Tensor zeros(DType dtype, long... shape) {
    return keep(Tensors.zeros(allocator, dtype, device, shape));
  }

  /** Takes a tensor (a view, a copy) to close with the scope. */
  Tensor keep(Tensor t) {
    owned.add(t);
    return t;
  }

  /** Hands a tensor of the scope to the caller, who closes it. */
  Tensor release(Tensor t) {
    for (int i = owned.size() - 1; i >= 0; i--) {
      if (owned.get(i) == t) {
        owned.remove(i);
        return t;
      }
    }
    throw new IllegalArgumentException("not a tensor of this scope: " + t);
  }

  @Override
  public void close() {
    for (int i = owned.size() - 1; i >= 0; i--) {
      owned.get(i).close();
    }
    owned.clear();
  }
}
