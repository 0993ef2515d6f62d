package dev.shard4j.models.gpt;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * What a checkpoint keeps beside the shard groups' own files (one folder per unit): the last step
 * done and what the run must match to continue it bit for bit. The data position and the random
 * state follow from the step: batches are drawn by index, and training draws nothing else. Rank 0
 * writes {@code trainer.json} after every unit is committed, atomically, so its presence means a
 * whole checkpoint.
 *
 * @param step the last step done
 * @param model the model's shape
 * @param seed the run's seed
 * @param sequencesPerStep batch * accum * world size: the global batch that indexes the data
 * @param seq tokens per sequence
 */
record TrainerState(int step, GptConfig model, long seed, long sequencesPerStep, int seq) {
  static final String FILE = "trainer.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  static String unitFolder(int unit) {
    return String.format(java.util.Locale.ROOT, "unit-%02d", unit);
  }

  void write(Path dir) throws IOException {
    Path tmp = dir.resolve(FILE + ".tmp");
    Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(this));
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
    Files.move(tmp, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  static TrainerState read(Path dir) throws IOException {
    Path file = dir.resolve(FILE);
    if (!Files.isRegularFile(file)) {
      throw new IOException("no checkpoint in " + dir + ": " + FILE + " is missing (a save that did not finish)");
    }
    return JSON.readValue(file.toFile(), TrainerState.class);
  }

  /** Refuses a run that cannot continue this checkpoint's curve. */
  void checkContinues(TrainSettings s) {
    long perStep = (long) s.batch() * s.accum() * s.parallel().ranks().worldSize();
    if (!model.equals(s.model()) || seed != s.seed() || sequencesPerStep != perStep || seq != s.seq()) {
      throw new IllegalArgumentException("the checkpoint was written by another run (model " + model.describe()
          + ", seed " + seed + ", " + sequencesPerStep + " sequences of " + seq + " per step); this run has "
          + s.model().describe() + ", seed " + s.seed() + ", " + perStep + " sequences of " + s.seq());
    }
    if (step >= s.steps()) {
      throw new IllegalArgumentException("the checkpoint is at step " + step + ", not before the run's last step "
          + s.steps());
    }
  }
}
