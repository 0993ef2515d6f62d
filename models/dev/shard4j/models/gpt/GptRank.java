package dev.shard4j.models.gpt;

import dev.shard4j.collectives.Communicator;
import dev.shard4j.collectives.RedOp;
import dev.shard4j.collectives.Work;
import dev.shard4j.kernels.AdamW;
import dev.shard4j.models.text.Batches;
import dev.shard4j.parallel.fsdp.ShardGroup;
import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Stream;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import java.util.ArrayList;
import java.util.List;

/**
 * One rank's share of a GPT run: a shard group per unit (the embeddings and final LayerNorm, then
 * each block), and FSDP's schedule over them for every micro-batch. In the forward pass each
 * unit's gather prefetches the next one's (the embeddings' again for the head, under the last
 * block); in the backward pass each block's reduce runs while the blocks before it compute, and
 * under FULL_SHARD the gather of the block before is prefetched. The last block stays gathered
 * from forward into backward, as FSDP2 keeps its root; the embeddings' unit is reduced last, once
 * the input embedding's gradient of the tied table has joined the head's. Used on the rank's thread.
 */
final class GptRank implements AutoCloseable {
  private final TrainSettings s;
  private final GptConfig cfg;
  private final Communicator comm;
  private final Device device;
  private final Allocator activations;
  private final List<ShardGroup> groups;
  private final Stream compute;
  private final int[] inputs;
  private final int[] targets;

  GptRank(TrainSettings settings, Communicator comm, Device device, Allocator activations, List<ShardGroup> groups) {
    this.s = settings;
    this.cfg = settings.model();
    this.comm = comm;
    this.device = device;
    this.activations = activations;
    this.groups = groups;
    this.compute = Stream.defaultStream(device);
    this.inputs = new int[settings.batch() * settings.seq()];
    this.targets = new int[inputs.length];
  }

  /** The global index of a micro-batch: one rank drawing every rank's micro-batches sees the same data. */
  private long batchIndex(int step, int micro) {
    return Batches.index(step - 1, comm.rank(), comm.size(), micro, s.accum());
  }

  /** One optimizer step: its micro-batches, the clipping norm, AdamW; returns {loss, grad norm}. */
  double[] step(int step, TokenBatches data, Tensor lossSum) {
    lossSum.fill(0.0);
    for (int v = 0; v < s.accum(); v++) {
      data.fill(batchIndex(step, v), inputs, targets);
      try (Tensor x = tokens(inputs); Tensor y = tokens(targets)) {
        microBatch(x, y, lossSum, 1.0 / s.accum());
      }
      if (s.parallel().overlap() && v + 1 < s.accum()) {
        groups.get(0).prefetch(); // the next micro-batch's
      }
    }
    double norm = gradientNorm();
    double scale = s.optimizer().gradClip() > 0 ? Math.min(1.0, s.optimizer().gradClip() / (norm + 1e-6)) : 1.0;
    TrainSettings.Optimizer o = s.optimizer();
    AdamW adamw = new AdamW(o.lrAt(step, s.steps()), o.beta1(), o.beta2(), o.eps(), o.weightDecay());
    for (ShardGroup g : groups) {
      g.step(adamw, scale, spec -> GptWeights.decays(spec));
    }
    if (s.parallel().overlap() && step < s.steps()) {
      groups.get(0).prefetch(); // the next step's, under its data
    }
    comm.allReduce(lossSum, lossSum, RedOp.AVG);
    return new double[] {lossSum.toDoubleArray()[0], norm};
  }

  private Tensor tokens(int[] ids) {
    return Tensors.fromArray(activations, ids, DType.I32, device, s.batch(), s.seq());
  }

  /** The L2 norm of the whole reduced gradient: every unit's and every rank's share, in one all-reduce. */
  private double gradientNorm() {
    try (Tensor squares = Tensors.zeros(activations, DType.F32, device, 1, 1)) {
      for (ShardGroup g : groups) {
        g.addGradientSquares(squares);
      }
      comm.allReduce(squares, squares, RedOp.SUM);
      return Math.sqrt(squares.toDoubleArray()[0]);
    }
  }

  private void microBatch(Tensor tokens, Tensor targets, Tensor lossSum, double weight) {
    int layers = cfg.layers();
    boolean reshardAfterForward = s.parallel().strategy().reshardAfterForward();
    boolean overlap = s.parallel().overlap();
    boolean recompute = s.parallel().recompute();
    double factor = groups.get(0).averagingFactor() * weight;
    ShardGroup embeddings = groups.get(0);
    List<List<Tensor>> gathered = new ArrayList<>();
    List<BlockActivations> acts = new ArrayList<>();
    List<Tensor> blockInputs = new ArrayList<>(); // with recompute: all that the forward keeps
    Tensor x = null;
    Tensor dX = null;
    Head.Gradients head = null;
    try {
      List<Tensor> emb = embeddings.gather();
      if (overlap) {
        groups.get(1).prefetch();
      }
      x = Head.embed(activations, emb, tokens);
      if (reshardAfterForward) {
        embeddings.reshard();
      }
      for (int l = 0; l < layers; l++) {
        ShardGroup g = groups.get(1 + l);
        List<Tensor> p = g.gather();
        if (overlap && l + 1 < layers) {
          groups.get(2 + l).prefetch();
        } else if (overlap && reshardAfterForward) {
          embeddings.prefetch(); // the head needs the embeddings again
        }
        BlockActivations act = Block.forward(cfg, activations, p, x);
        if (recompute) {
          blockInputs.add(x);
          try (act) {
            x = act.output();
          }
        } else {
          x.close();
          acts.add(act);
          x = act.output();
        }
        gathered.add(p);
        if (reshardAfterForward && l < layers - 1) {
          g.reshard();
        }
      }
      head = Head.lossAndBackward(activations, reshardAfterForward ? embeddings.gather() : emb, x, targets, lossSum,
          weight);
      x.close();
      x = null;
      embeddings.reshard(); // the input embedding's backward needs only the tokens
      dX = head.input().view(head.input().shape().toArray());
      for (int l = layers - 1; l >= 0; l--) {
        ShardGroup g = groups.get(1 + l);
        List<Tensor> p = reshardAfterForward && l < layers - 1 ? g.gather() : gathered.get(l);
        if (overlap && reshardAfterForward && l > 0) {
          groups.get(l).prefetch(); // the block before's gather, under this block's backward
        }
        BlockActivations act = recompute ? Block.forward(cfg, activations, p, blockInputs.get(l)) : acts.remove(l);
        Block.Gradients grads;
        try (act) {
          grads = Block.backward(cfg, activations, p, act, dX);
        }
        try {
          reduce(g, grads.params(), factor);
        } finally {
          grads.params().forEach(Tensor::close); // copied in: the gradients may go
        }
        g.reshard();
        dX.close();
        dX = grads.input();
        if (recompute) {
          blockInputs.remove(l).close();
        }
      }
      List<Tensor> embGrads = Head.embeddingGradients(activations, tokens, dX, head, cfg.context());
      try {
        reduce(embeddings, embGrads, factor);
      } finally {
        embGrads.forEach(Tensor::close);
      }
    } finally {
      for (Tensor t : new Tensor[] {x, dX}) {
        if (t != null) {
          t.close();
        }
      }
      if (head != null) {
        head.close();
      }
      acts.forEach(BlockActivations::close);
      blockInputs.forEach(Tensor::close);
    }
  }

  private void reduce(ShardGroup g, List<Tensor> grads, double factor) {
    Work reduced = g.reduceGradientsAsync(grads, factor); // runs while the units before compute
    if (!s.parallel().overlap()) {
      reduced.awaitOn(compute);
    }
  }

  /**
   * The mean validation loss over the run's validation batches, split over the ranks (batch j of
   * rank r is validation batch j * world + r), forward only.
   */
  double validationLoss(TokenBatches validation) {
    int perRank = (s.evalBatches() + comm.size() - 1) / comm.size();
    try (Tensor lossSum = Tensors.zeros(activations, DType.F64, device, 1)) {
      List<Tensor> embeddings = groups.get(0).gather(); // once: the input embedding and the head use it
      for (int j = 0; j < perRank; j++) {
        validation.fill((long) j * comm.size() + comm.rank(), inputs, targets);
        try (Tensor x = tokens(inputs); Tensor y = tokens(targets); Tensor last = forward(embeddings, x)) {
          Head.loss(activations, embeddings, last, y, lossSum, 1.0 / perRank);
        }
      }
      groups.forEach(ShardGroup::reshard);
      comm.allReduce(lossSum, lossSum, RedOp.AVG);
      return lossSum.toDoubleArray()[0];
    }
  }

  /**
   * The last block's output for tokens, gathering each block in turn (every rank calls it), from
   * the gathered embeddings.
   */
  private Tensor forward(List<Tensor> embeddings, Tensor tokens) {
    boolean reshard = s.parallel().strategy().reshardAfterForward();
    Tensor x = Head.embed(activations, embeddings, tokens);
    for (int l = 0; l < cfg.layers(); l++) {
      ShardGroup g = groups.get(1 + l);
      try (Tensor input = x; BlockActivations act = Block.forward(cfg, activations, g.gather(), input)) {
        x = act.output();
      }
      if (reshard) {
        g.reshard();
      }
    }
    return x;
  }

  /**
   * Every unit's parameters gathered (a collective: every rank calls it), for the sample; the
   * caller reshards them with {@link #reshardAll}.
   */
  List<List<Tensor>> gatherAll() {
    List<List<Tensor>> units = new ArrayList<>();
    for (ShardGroup g : groups) {
      units.add(g.gather());
    }
    return units;
  }

  ShardGroup group(int unit) {
    return groups.get(unit);
  }

  void reshardAll() {
    groups.forEach(ShardGroup::reshard);
  }

  /** Frees the shard groups. */
  @Override
  public void close() {
    groups.forEach(ShardGroup::close);
  }
}
