package dev.shard4j.cli.peer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shard4j.models.gpt.GptConfig;
import dev.shard4j.models.gpt.GptWeights;
import dev.shard4j.models.gpt.TokenBatches;
import dev.shard4j.models.gpt.TrainSettings;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * PyTorch training the same GPT on the same weights and batches ({@code scripts/peers/gpt_torch.py}):
 * writes shard4j's seeded initial weights (safetensors), the token windows of every step in
 * shard4j's order (one rank drawing every rank's micro-batches) and the run's settings, runs the
 * script and reads its per-step losses, gradient norms and tokens/s.
 */
public final class TorchGptPeer {
  private static final ObjectMapper JSON = new ObjectMapper();

  private TorchGptPeer() {}

  /**
   * One step as PyTorch saw it.
   *
   * @param step the step, from 1
   * @param loss the mean loss of the step's batch before the update
   * @param gradNorm the global gradient norm before clipping
   * @param lr the learning rate used
   * @param tokensPerSecond the step's tokens per second of its wall time
   */
  public record Step(int step, double loss, double gradNorm, double lr, double tokensPerSecond) {}

  /**
   * A whole PyTorch run.
   *
   * @param steps every step
   * @param torch torch's version
   * @param threads its intra-op threads
   * @param tokensPerSecond the mean of the steps' tokens/s after the first
   */
  public record Result(List<Step> steps, String torch, int threads, double tokensPerSecond) {}

  /**
   * A python interpreter that imports torch, found (or installed) by scripts/peers/ensure-torch.sh.
   *
   * @param root the project's root
   * @param wheel also try installing a local torch wheel into the default python
   * @return the interpreter's path, or empty when none works here
   * @throws IOException when the script cannot be started
   * @throws InterruptedException when interrupted while it runs
   */
  public static Optional<String> findPython(Path root, boolean wheel) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("bash", root.resolve("scripts/peers/ensure-torch.sh").toString()));
    if (wheel) {
      command.add("--wheel");
    }
    Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    if (!p.waitFor(15, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      return Optional.empty();
    }
    return p.exitValue() == 0 && !out.isEmpty() ? Optional.of(out.lines().reduce((a, b) -> b).orElse(out))
        : Optional.empty();
  }

  /**
   * Runs PyTorch on the run's model, weights and batches (fp32, one process).
   *
   * @param python an interpreter with torch
   * @param root the project's root
   * @param s the run: model, batch, steps, optimizer (its ranks only set how many sequences a step takes)
   * @param data the training batches; their targets must be the inputs shifted by one
   * @param threads torch's intra-op threads
   * @param work a folder for the files
   * @return PyTorch's steps
   * @throws IOException when a file cannot be written or the script fails
   * @throws InterruptedException when interrupted while it runs
   */
  public static Result run(String python, Path root, TrainSettings s, TokenBatches data, int threads, Path work)
      throws IOException, InterruptedException {
    Files.createDirectories(work);
    Path weights = work.resolve("init.safetensors");
    Path batches = work.resolve("batches.bin");
    Path config = work.resolve("run.json");
    GptWeights.writeInitial(s.model(), s.seed(), weights);
    int accum = s.accum() * s.parallel().ranks().worldSize();
    writeBatches(s, data, accum, batches);
    Files.writeString(config, JSON.writeValueAsString(config(s, accum)));
    Process p = new ProcessBuilder(python, root.resolve("scripts/peers/gpt_torch.py").toString(), "--config",
        config.toString(), "--weights", weights.toString(), "--batches", batches.toString(), "--threads",
        Integer.toString(threads)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException("gpt_torch.py failed (exit " + (p.isAlive() ? "none: killed" : p.exitValue()) + ")");
    }
    List<Step> steps = new ArrayList<>();
    Result result = null;
    for (String line : out.lines().toList()) {
      JsonNode n = JSON.readTree(line);
      if (n.path("summary").asBoolean(false)) {
        result = new Result(steps, n.path("torch").asText(), n.path("threads").asInt(),
            n.path("tokens_per_s").asDouble());
      } else {
        steps.add(new Step(n.path("step").asInt(), n.path("loss").asDouble(), n.path("grad_norm").asDouble(),
            n.path("lr").asDouble(), n.path("tokens_per_s").asDouble()));
      }
    }
    if (result == null || steps.size() != s.steps()) {
      throw new IOException("gpt_torch.py printed " + steps.size() + " of " + s.steps() + " steps"
          + (result == null ? " and no summary" : ""));
    }
    return result;
  }

  private static ObjectNode config(TrainSettings s, int accum) {
    GptConfig m = s.model();
    TrainSettings.Optimizer o = s.optimizer();
    ObjectNode c = JSON.createObjectNode();
    c.put("layers", m.layers()).put("heads", m.heads()).put("width", m.width()).put("context", m.context())
        .put("vocab", m.vocab()).put("batch", s.batch()).put("seq", s.seq()).put("steps", s.steps())
        .put("accum", accum).put("lr", o.lr()).put("min_lr", o.minLr()).put("warmup", o.warmup())
        .put("weight_decay", o.weightDecay()).put("beta1", o.beta1()).put("beta2", o.beta2()).put("eps", o.eps())
        .put("grad_clip", o.gradClip()).put("dtype", "float32");
    return c;
  }

  /** The windows [steps, accum, batch, seq + 1] as little-endian int32, in shard4j's batch order. */
  private static void writeBatches(TrainSettings s, TokenBatches data, int accum, Path file) throws IOException {
    int[] inputs = new int[s.batch() * s.seq()];
    int[] targets = new int[inputs.length];
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file))) {
      byte[] word = new byte[4];
      for (long index = 0; index < (long) s.steps() * accum; index++) {
        data.fill(index, inputs, targets);
        for (int b = 0; b < s.batch(); b++) {
          for (int t = 0; t <= s.seq(); t++) {
            int at = b * s.seq() + Math.min(t, s.seq() - 1);
            if (t > 0 && t < s.seq() && targets[at - 1] != inputs[at]) {
              throw new IllegalArgumentException("batch " + index + ": targets are not the inputs shifted by one");
            }
            int v = t < s.seq() ? inputs[at] : targets[at];
            word[0] = (byte) v;
            word[1] = (byte) (v >>> 8);
            word[2] = (byte) (v >>> 16);
            word[3] = (byte) (v >>> 24);
            out.write(word);
          }
        }
      }
    }
  }
}
