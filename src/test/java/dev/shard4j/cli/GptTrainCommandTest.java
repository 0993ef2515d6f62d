package dev.shard4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train --model gpt}: a small GPT on text of its own trains on two ranks, validates, matches
 * one rank (--check), writes a JSON line per step and the loss curves, samples, saves and resumes;
 * bad values are refused in one line naming the flag.
 */
class GptTrainCommandTest {
  private static final String[] SMALL = {"--layers", "2", "--width", "32", "--heads", "2", "--context", "16",
      "--batch", "4", "--warmup", "2", "--lr", "3e-3", "--eval-batches", "2", "--log-every", "4"};

  /** Sentences of a small random grammar: text with structure to learn, written here. */
  private static Path text(Path dir) throws Exception {
    String[] words = {"the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "far", "away", "home"};
    SplittableRandom r = new SplittableRandom(9);
    StringBuilder b = new StringBuilder();
    while (b.length() < 20_000) {
      int n = 3 + r.nextInt(6);
      for (int i = 0; i < n; i++) {
        b.append(i == 0 ? "" : " ").append(words[r.nextInt(words.length)]);
      }
      b.append(".\n");
    }
    Path file = dir.resolve("text.txt");
    Files.writeString(file, b);
    return file;
  }

  private static CommandRun.Result train(Path dir, String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of("train", "--data", text(dir).toString()));
    all.addAll(List.of(SMALL));
    all.addAll(List.of(args));
    return CommandRun.execute(new Shard4jCommand(), all.toArray(String[]::new));
  }

  @Test
  void trainsValidatesMatchesOneRankAndWritesItsRecords(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("run");
    CommandRun.Result r = train(dir, "--ranks", "2", "--steps", "12", "--eval-every", "6", "--sample", "30",
        "--out", out.toString(), "--check");
    assertEquals(0, r.code(), r.toString());
    String o = r.out();
    assertTrue(o.contains("model: GPT, 2 layers, 2 heads, width 32, context 16"), o);
    assertTrue(o.contains("check: the curves agree"), o);
    assertTrue(o.contains("sample:\nThe "), o);
    assertTrue(o.contains("rank 1 peak: model states "), o);
    List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
    assertEquals(12, lines.size());
    ObjectMapper json = new ObjectMapper();
    JsonNode first = json.readTree(lines.get(0));
    JsonNode last = json.readTree(lines.get(11));
    assertTrue(last.get("loss").asDouble() < first.get("loss").asDouble(), lines.toString());
    assertTrue(json.readTree(lines.get(5)).get("val_loss").isNumber(), lines.get(5));
    assertTrue(json.readTree(lines.get(4)).get("val_loss").isNull(), lines.get(4));
    assertEquals(900, ImageIO.read(out.resolve("loss.png").toFile()).getWidth());
  }

  @Test
  void aSavedRunResumesFromItsCheckpoint(@TempDir Path dir) throws Exception {
    Path ckpt = dir.resolve("ckpt");
    CommandRun.Result saved = train(dir, "--ranks", "2", "--steps", "4", "--sample", "0", "--eval-every", "0",
        "--save", ckpt.toString(), "--out", dir.resolve("a").toString());
    assertEquals(0, saved.code(), saved.toString());
    CommandRun.Result resumed = train(dir, "--ranks", "2", "--steps", "4", "--sample", "0", "--eval-every", "0",
        "--resume", ckpt.toString(), "--out", dir.resolve("b").toString());
    assertEquals(1, resumed.code(), "the checkpoint is at the last step: " + resumed);
    assertTrue(resumed.err().contains("not before the run's last step 4"), resumed.toString());
    CommandRun.assertNoStackTrace(resumed);
  }

  /**
   * On a Java runtime without java.desktop (the GPU machine's jlink image has none) the run trains
   * and writes its metrics, and says that it drew no picture.
   */
  @Test
  void trainsWithoutAwt(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("run");
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>(List.of(javaBin, "--limit-modules",
        "java.base,java.logging,java.management,jdk.unsupported", "--enable-native-access=ALL-UNNAMED",
        "-Dorg.bytedeco.javacpp.cachedir=" + System.getProperty("org.bytedeco.javacpp.cachedir",
            dir.resolve("javacpp").toString()),
        "-cp", System.getProperty("java.class.path"), Shard4jCommand.class.getName(), "train", "--data",
        text(dir).toString(), "--ranks", "1", "--steps", "2", "--eval-every", "1", "--sample", "0", "--out",
        out.toString()));
    command.addAll(List.of(SMALL));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), output);
    assertEquals(0, p.exitValue(), output);
    assertTrue(output.contains("loss curves not drawn: this Java runtime lacks java.desktop"), output);
    assertTrue(output.contains("loss curves: none"), output);
    assertEquals(2, Files.readAllLines(out.resolve("metrics.jsonl")).size(), output);
  }

  @Test
  void eachBadValueIsRefusedInOneLineNamingItsFlag(@TempDir Path dir) throws Exception {
    assertEquals("shard4j train: --heads 3 does not divide --width 32",
        CommandRun.refusal(new Shard4jCommand(), "train", "--heads", "3", "--width", "32"));
    assertEquals("shard4j train: --seq must be at most 64, got 65",
        CommandRun.refusal(new Shard4jCommand(), "train", "--seq", "65"));
    assertEquals("shard4j train: --data /no/such/text does not exist",
        CommandRun.refusal(new Shard4jCommand(), "train", "--data", "/no/such/text"));
    assertEquals("shard4j train: --hidden applies to --model mlp only (the GPT's width is --width)",
        CommandRun.refusal(new Shard4jCommand(), "train", "--hidden", "64"));
    assertEquals("shard4j train: --recompute applies to --model gpt only",
        CommandRun.refusal(new Shard4jCommand(), "train", "--model", "mlp", "--recompute"));
    assertEquals("shard4j train: --model: unknown value 'bert'; valid: gpt, mlp",
        CommandRun.refusal(new Shard4jCommand(), "train", "--model", "bert"));
    assertEquals("shard4j train: --temperature must be more than 0 and finite, got 0.0",
        CommandRun.refusal(new Shard4jCommand(), "train", "--temperature", "0"));
    Path empty = Files.createFile(dir.resolve("empty.txt"));
    CommandRun.Result r = CommandRun.execute(new Shard4jCommand(), "train", "--data", empty.toString());
    assertEquals(1, r.code(), r.toString());
    assertTrue(r.err().contains(empty.toString()), r.toString());
    CommandRun.assertNoStackTrace(r);
  }
}
