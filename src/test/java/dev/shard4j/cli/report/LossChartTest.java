package dev.shard4j.cli.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.GraphicsEnvironment;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LossChartTest {
  private final long seed = System.nanoTime();
  private final Random random = new Random(seed);

  @TempDir
  Path dir;

  @Test
  void drawsEverySeriesOnAPictureOfTheFixedSize() throws IOException {
    LossChart chart = randomCurves();
    Path png = dir.resolve("runs/a/loss.png");
    chart.write(png);

    assertTrue(GraphicsEnvironment.isHeadless(), "drew without a display");
    BufferedImage image = ImageIO.read(png.toFile());
    assertEquals(LossChart.WIDTH, image.getWidth(), "seed " + seed);
    assertEquals(LossChart.HEIGHT, image.getHeight(), "seed " + seed);
    Set<Integer> colours = new HashSet<>();
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        colours.add(image.getRGB(x, y));
      }
    }
    assertTrue(colours.size() > 1, "the picture is blank (seed " + seed + ")");
    // Each series' colour (the first three of the cycle) is on the picture.
    for (Color colour : List.of(new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c))) {
      assertTrue(near(image, colour), "no pixel of " + colour + " (seed " + seed + ")");
    }
  }

  /**
   * A fresh JVM whose {@code DISPLAY} names a display that does not answer still writes the chart:
   * without the headless property set first, AWT tries that display and fails.
   */
  @Test
  void aFreshJvmWithAnUnreachableDisplayWritesTheChart() throws Exception {
    Path png = dir.resolve("child.png");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Child.class.getName(),
        png.toString()).redirectErrorStream(true);
    pb.environment().put("DISPLAY", ":4711");
    pb.environment().remove("JAVA_TOOL_OPTIONS");
    Process child = pb.start();
    String output;
    try {
      output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the child JVM hung");
    } finally {
      child.destroyForcibly();
    }
    assertEquals(0, child.exitValue(), output);
    assertEquals(LossChart.HEIGHT, ImageIO.read(png.toFile()).getHeight(), output);
  }

  /** The child JVM of {@link #aFreshJvmWithAnUnreachableDisplayWritesTheChart}: one chart, nothing else first. */
  static final class Child {
    public static void main(String[] args) throws IOException {
      new LossChart("child", "step").add("train", new double[] {1, 2, 3}, new double[] {3, 2, 2.5}).write(Path.of(args[0]));
    }
  }

  @Test
  void theSameChartGivesTheSameBytesAndLeavesNoTemporaryFile() throws IOException {
    LossChart chart = randomCurves();
    Path first = dir.resolve("first.png");
    Path second = dir.resolve("second.png");
    chart.write(first);
    chart.write(second);
    chart.write(second);
    assertArrayEquals(Files.readAllBytes(first), Files.readAllBytes(second), "seed " + seed);
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(Set.of(first, second), Set.copyOf(files.toList()));
    }
  }

  @Test
  void aDivergedStepIsAGapNotAnError() throws IOException {
    LossChart chart = new LossChart("diverged", "step")
        .add("train", new double[] {0, 1, 2, 3, 4}, new double[] {5, 4, Double.NaN, Double.POSITIVE_INFINITY, 3});
    Path png = dir.resolve("gap.png");
    chart.write(png);
    assertEquals(LossChart.WIDTH, ImageIO.read(png.toFile()).getWidth());
  }

  @Test
  void aChartWithoutSeriesIsRefused() {
    LossChart chart = new LossChart("empty run", "step");
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> chart.write(dir.resolve("x.png")));
    assertTrue(e.getMessage().contains("no series"), e.getMessage());
    assertTrue(e.getMessage().contains("empty run"), e.getMessage());
  }

  @Test
  void aSeriesWithoutAFiniteLossIsRefusedByName() throws IOException {
    LossChart chart = randomCurves();
    int n = 1 + random.nextInt(9);
    for (int i = 0; i < n; i++) {
      chart.add("pytorch-bf16", i, i % 2 == 0 ? Double.NaN : Double.NEGATIVE_INFINITY);
    }
    Path png = dir.resolve("nan.png");
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> chart.write(png));
    assertTrue(e.getMessage().contains("'pytorch-bf16'"), e.getMessage());
    assertTrue(Files.notExists(png));
  }

  @Test
  void anUnwritablePathIsAnIOExceptionNamingIt() throws IOException {
    Path file = Files.writeString(dir.resolve("not-a-folder"), "x");
    Path png = file.resolve("loss.png");
    IOException e = assertThrows(IOException.class, () -> randomCurves().write(png));
    assertTrue(e.getMessage().contains(png.toString()), e.getMessage());
    IllegalArgumentException folder = assertThrows(IllegalArgumentException.class, () -> randomCurves().write(dir));
    assertTrue(folder.getMessage().contains(dir.toString()), folder.getMessage());
  }

  @Test
  void badPointsAreRefusedByName() {
    LossChart chart = new LossChart("t", "step");
    IllegalArgumentException length = assertThrows(IllegalArgumentException.class,
        () -> chart.add("train", new double[3], new double[2]));
    assertTrue(length.getMessage().contains("'train'"), length.getMessage());
    IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
        () -> chart.add("validation", new double[] {1, Double.NaN}, new double[] {2, 2}));
    assertTrue(x.getMessage().contains("x[1]") && x.getMessage().contains("'validation'"), x.getMessage());
    // The refused call added nothing, so the chart still has no series.
    assertThrows(IllegalStateException.class, () -> chart.write(dir.resolve("x.png")));
    assertThrows(IllegalArgumentException.class, () -> chart.add(" ", 1, 1));
    assertThrows(IllegalArgumentException.class, () -> new LossChart("t", ""));
    assertThrows(NullPointerException.class, () -> chart.add(null, 1, 1));
  }

  /**
   * A falling "train" curve at every step, "validation" every few steps, and a "pytorch" curve
   * near the train one, of odd random lengths.
   */
  private LossChart randomCurves() {
    int steps = 37 + random.nextInt(400);
    int every = 3 + random.nextInt(11);
    double start = 4 + 8 * random.nextDouble();
    LossChart chart = new LossChart("random curves, seed " + seed, "step");
    double[] x = new double[steps];
    double[] y = new double[steps];
    for (int s = 0; s < steps; s++) {
      x[s] = s;
      y[s] = start * Math.exp(-3.0 * s / steps) + 0.2 * random.nextDouble();
      chart.add("train", s, y[s]);
    }
    for (int s = 0; s < steps; s += every) {
      chart.add("validation", s, y[s] + 0.3 + 0.1 * random.nextGaussian());
    }
    for (int s = 0; s < steps; s++) {
      y[s] += 0.05 * random.nextGaussian();
    }
    return chart.add("pytorch", x, y);
  }

  /** Whether some pixel is within a small distance of the colour (lines are antialiased). */
  private static boolean near(BufferedImage image, Color colour) {
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        Color c = new Color(image.getRGB(x, y));
        if (Math.abs(c.getRed() - colour.getRed()) + Math.abs(c.getGreen() - colour.getGreen())
            + Math.abs(c.getBlue() - colour.getBlue()) < 30) {
          return true;
        }
      }
    }
    return false;
  }
}
