package dev.shard4j.cli.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * A PNG picture of loss curves: named series of (x, loss) points, such as "train" at every step,
 * "validation" every few steps and a peer's "pytorch" curve, drawn as lines on one pair of axes
 * ({@value #WIDTH} x {@value #HEIGHT} pixels, y axis "loss").
 *
 * <p>It draws without a display: unless {@code java.awt.headless} is already set, loading this class
 * sets it to {@code true}, so it runs on servers with no X display, or an unreachable one in
 * {@code DISPLAY}, provided nothing in the JVM used AWT before (fonts must still be installed, as for
 * any Java 2D text). A non-finite loss (a diverged step) leaves a gap in its line. The file
 * is written to a temporary file beside it and then moved into place, so a reader never sees half
 * a picture. Not thread-safe: one thread adds the points and writes.
 */
public final class LossChart {
  static {
    // First in the class: AWT reads the property once, when its native library loads, which the
    // first Color below already does; a display it then fails to open would fail every write.
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  /** Width of the picture in pixels. */
  public static final int WIDTH = 900;
  /** Height of the picture in pixels. */
  public static final int HEIGHT = 540;
  /** A series of up to this many points marks each point, so that a sparse curve stays visible. */
  private static final int FEW_POINTS = 60;
  /** The series' colours in order (matplotlib's default cycle, familiar beside PyTorch's charts). */
  private static final Color[] PALETTE = {
      new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd),
      new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22), new Color(0x17becf)};

  private final String title;
  private final String xAxisLabel;
  private final Map<String, XYSeries> series = new LinkedHashMap<>();

  /**
   * An empty chart.
   *
   * @param title the title above the plot (may be empty)
   * @param xAxisLabel the label of the x axis, e.g. {@code "step"}
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code xAxisLabel} is blank
   */
  public LossChart(String title, String xAxisLabel) {
    this.title = Objects.requireNonNull(title, "title");
    Objects.requireNonNull(xAxisLabel, "xAxisLabel");
    if (xAxisLabel.isBlank()) {
      throw new IllegalArgumentException("xAxisLabel is blank");
    }
    this.xAxisLabel = xAxisLabel;
  }

  /**
   * Adds one point to a series, creating the series (after the others, in the legend) on its first
   * point.
   *
   * @param name the series, e.g. {@code "train"}
   * @param x the step (or other x value); finite
   * @param loss the loss there; NaN or infinite leaves a gap in the line
   * @return this chart
   * @throws NullPointerException if {@code name} is null
   * @throws IllegalArgumentException if {@code name} is blank or {@code x} is not finite
   */
  public LossChart add(String name, double x, double loss) {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) {
      throw new IllegalArgumentException("series name is blank");
    }
    if (!Double.isFinite(x)) {
      throw new IllegalArgumentException("x of series '" + name + "' is " + x + ": it must be finite");
    }
    // A NaN y is a gap to JFreeChart; an infinite one would stretch the axis to infinity.
    double y = Double.isFinite(loss) ? loss : Double.NaN;
    series.computeIfAbsent(name, key -> new XYSeries(key, true, true)).add(x, y, false);
    return this;
  }

  /**
   * Adds points to a series, as {@link #add(String, double, double)} does for each pair.
   *
   * @param name the series
   * @param x the x values (steps); finite
   * @param loss the losses, one per x value
   * @return this chart
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if the arrays differ in length or are empty, or as for one point
   */
  public LossChart add(String name, double[] x, double[] loss) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(x, "x");
    Objects.requireNonNull(loss, "loss");
    if (x.length != loss.length || x.length == 0) {
      throw new IllegalArgumentException("series '" + name + "' has " + x.length + " x values and " + loss.length
          + " losses: they must be as many, and at least one");
    }
    for (int i = 0; i < x.length; i++) {
      if (!Double.isFinite(x[i])) {
        // Checked before any point is added, so that a refused call leaves the series as it was.
        throw new IllegalArgumentException("x[" + i + "] of series '" + name + "' is " + x[i] + ": it must be finite");
      }
    }
    for (int i = 0; i < x.length; i++) {
      add(name, x[i], loss[i]);
    }
    return this;
  }

  /**
   * Writes the chart as a PNG of {@value #WIDTH} x {@value #HEIGHT} pixels, creating the parent
   * folders and replacing an existing file in one move.
   *
   * @param png the file to write
   * @throws NullPointerException if {@code png} is null
   * @throws IllegalArgumentException if {@code png} is a folder
   * @throws IllegalStateException if there is no series, or a series has no finite loss
   * @throws IOException if the file cannot be written; the message names it
   */
  public void write(Path png) throws IOException {
    Objects.requireNonNull(png, "png");
    if (Files.isDirectory(png)) {
      throw new IllegalArgumentException("the loss chart's file " + png + " is a folder");
    }
    XYSeriesCollection data = new XYSeriesCollection();
    Path target = png.toAbsolutePath();
    Path tmp = null;
    try {
      JFreeChart chart = chart(data);
      Files.createDirectories(target.getParent());
      tmp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp");
      try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp))) {
        ChartUtils.writeChartAsPNG(out, chart, WIDTH, HEIGHT);
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      tmp = null;
    } catch (IOException e) {
      throw new IOException("cannot write the loss chart " + png + ": " + e, e);
    } finally {
      // The series hold their collections as listeners: a chart written every few steps would keep
      // every earlier picture alive.
      data.removeAllSeries();
      if (tmp != null) {
        Files.deleteIfExists(tmp);
      }
    }
  }

  /** The chart of the series so far, checked, drawn from {@code data}, which it fills. */
  private JFreeChart chart(XYSeriesCollection data) {
    if (series.isEmpty()) {
      throw new IllegalStateException("the loss chart '" + title + "' has no series");
    }
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
    int i = 0;
    for (XYSeries s : series.values()) {
      if (!hasFiniteLoss(s)) {
        throw new IllegalStateException("series '" + s.getKey() + "' of the loss chart has no finite loss ("
            + s.getItemCount() + " points, all NaN or infinite)");
      }
      data.addSeries(s);
      renderer.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
      renderer.setSeriesStroke(i, new BasicStroke(1.5f));
      renderer.setSeriesShapesVisible(i, s.getItemCount() <= FEW_POINTS);
      i++;
    }
    JFreeChart chart = ChartFactory.createXYLineChart(title, xAxisLabel, "loss", data, PlotOrientation.VERTICAL,
        true, false, false);
    chart.setBackgroundPaint(Color.WHITE);
    XYPlot plot = chart.getXYPlot();
    plot.setRenderer(renderer);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    // Losses of interest sit far from zero; zero on the axis would flatten the curves.
    ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
    ((NumberAxis) plot.getDomainAxis()).setAutoRangeIncludesZero(false);
    return chart;
  }

  private static boolean hasFiniteLoss(XYSeries s) {
    for (int i = 0; i < s.getItemCount(); i++) {
      if (!Double.isNaN(s.getY(i).doubleValue())) {
        return true;
      }
    }
    return false;
  }
}
