package dev.shard4j.models.gpt;

import dev.shard4j.parallel.fsdp.ParamSpec;
import dev.shard4j.parallel.fsdp.SafeTensors;
import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parameters of a {@link GptConfig}, unit by unit as the trainer shards them, with GPT-2's
 * names (Linear weights [out, in], as torch.nn.Linear) and GPT-2's initialisation: weights
 * normal(0, 0.02), the two residual projections of each block scaled by 1 / sqrt(2 * layers),
 * biases 0, LayerNorm gains 1.
 *
 * <p>Unit 0 holds the embeddings and the final LayerNorm, [wte.weight, wpe.weight, ln_f.weight,
 * ln_f.bias]: the tied LM head uses wte, so its two gradients meet in one group before the reduce.
 * Unit 1 + i holds block i, in {@link #BLOCK} order.
 */
public final class GptWeights {
  /** A block's parameters, in order, after its "h.i." prefix. */
  public static final List<String> BLOCK = List.of("ln_1.weight", "ln_1.bias", "attn.c_attn.weight",
      "attn.c_attn.bias", "attn.c_proj.weight", "attn.c_proj.bias", "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight",
      "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias");
  /** The embedding unit's parameters, in order. */
  public static final List<String> EMBEDDINGS = List.of("wte.weight", "wpe.weight", "ln_f.weight", "ln_f.bias");

  private static final double STD = 0.02;

  private GptWeights() {}

  /**
   * The units: 1 + layers.
   *
   * @param config the model
   * @return the embeddings' unit and one per block
   */
  public static int units(GptConfig config) {
    return 1 + config.layers();
  }

  /**
   * The parameters of one unit, named and shaped.
   *
   * @param config the model
   * @param unit 0 for the embeddings, 1 + i for block i
   * @return the specs, in order
   */
  public static List<ParamSpec> specs(GptConfig config, int unit) {
    long c = config.width();
    if (unit == 0) {
      return List.of(ParamSpec.of("wte.weight", config.vocab(), c), ParamSpec.of("wpe.weight", config.context(), c),
          ParamSpec.of("ln_f.weight", c), ParamSpec.of("ln_f.bias", c));
    }
    if (unit < 0 || unit > config.layers()) {
      throw new IllegalArgumentException("unit " + unit + " is not in [0, " + config.layers() + "]");
    }
    long[][] shapes = {{c}, {c}, {3 * c, c}, {3 * c}, {c, c}, {c}, {c}, {c}, {4 * c, c}, {4 * c}, {c, 4 * c}, {c}};
    String prefix = "h." + (unit - 1) + ".";
    List<ParamSpec> specs = new ArrayList<>();
    for (int p = 0; p < BLOCK.size(); p++) {
      specs.add(ParamSpec.of(prefix + BLOCK.get(p), shapes[p]));
    }
    return specs;
  }

  /**
   * Whether AdamW decays a parameter: the matrices (embeddings included), not the biases and
   * LayerNorm gains, as GPT-2 and nanoGPT train.
   *
   * @param spec a parameter
   * @return true for a parameter of two or more dimensions
   */
  public static boolean decays(ParamSpec spec) {
    return spec.shape().rank() >= 2;
  }

  /**
   * Writes the seeded initial model (every unit, fp32) as a safetensors file with GPT-2's names,
   * for a framework to load the same weights (the PyTorch peer does).
   *
   * @param config the model
   * @param seed the model's seed
   * @param file the file to write
   * @throws IOException when it cannot be written
   */
  public static void writeInitial(GptConfig config, long seed, Path file) throws IOException {
    Map<String, SafeTensors.Entry> tensors = new LinkedHashMap<>();
    try (Allocator a = Allocator.root("gpt-export")) {
      for (int u = 0; u < units(config); u++) {
        List<ParamSpec> specs = specs(config, u);
        List<Tensor> values = init(config, u, a, Device.CPU, seed);
        try {
          for (int p = 0; p < specs.size(); p++) {
            tensors.put(specs.get(p).name(), new SafeTensors.Entry(specs.get(p).shape().toArray(),
                values.get(p).toFloatArray()));
          }
        } finally {
          values.forEach(Tensor::close);
        }
      }
    }
    try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      SafeTensors.write(out, tensors, Map.of("format", "pt", "model", config.describe()));
    }
  }

  /**
   * Seeded initial values of one unit, fp32 (parameter p of unit u draws from seed, u and p alone,
   * so every rank and every run makes the same model).
   *
   * @param config the model
   * @param unit 0 for the embeddings, 1 + i for block i
   * @param allocator where the tensors live
   * @param device their device
   * @param seed the model's seed
   * @return the tensors, in {@link #specs} order, owned by the caller
   */
  public static List<Tensor> init(GptConfig config, int unit, Allocator allocator, Device device, long seed) {
    List<ParamSpec> specs = specs(config, unit);
    double residual = STD / Math.sqrt(2.0 * config.layers());
    List<Tensor> made = new ArrayList<>();
    try {
      for (int p = 0; p < specs.size(); p++) {
        ParamSpec spec = specs.get(p);
        long[] shape = spec.shape().toArray();
        String name = spec.name();
        Tensor t;
        if (name.endsWith(".bias")) {
          t = Tensors.zeros(allocator, DType.F32, device, shape);
        } else if (name.startsWith("ln") || name.contains(".ln_")) {
          t = Tensors.full(allocator, DType.F32, device, 1.0, shape);
        } else {
          double std = name.endsWith("c_proj.weight") ? residual : STD;
          t = Tensors.normal(allocator, DType.F32, device, seed * 1_000_003L + unit * 101L + p, 0, std, shape);
        }
        made.add(t);
      }
      return made;
    } catch (RuntimeException e) {
      made.forEach(Tensor::close);
      throw e;
    }
  }
}
