package dev.shard4j.parallel.fsdp;

import dev.shard4j.tensor.Shape;
import java.util.Objects;

/**
 * One parameter a trainer hands to a {@link ShardGroup}: its name (for checkpoints and errors) and
 * its unsharded shape.
 *
 * @param name a name unique in the group
 * @param shape the unsharded shape, sharded on dim 0
 */
public record ParamSpec(String name, Shape shape) {
  /**
   * Checks the fields.
   *
   * @param name a name unique in the group
   * @param shape the unsharded shape, sharded on dim 0
   */
  public ParamSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(shape, "shape");
    if (name.isBlank()) {
      throw new IllegalArgumentException("parameter name must not be blank");
    }
  }

  /**
   * A spec from sizes.
   *
   * @param name the name
   * @param dims the unsharded sizes
   * @return the spec
   */
  public static ParamSpec of(String name, long... dims) {
    return new ParamSpec(name, Shape.of(dims));
  }
}
