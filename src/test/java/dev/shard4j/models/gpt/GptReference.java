package dev.shard4j.models.gpt;

import java.util.Map;

/**
 * GPT-2's loss in plain double-precision loops, straight from the definitions (no kernels, no
 * shared code with the model): the reference that the model's loss and gradients are checked
 * against. Parameters by name, as flat row-major arrays.
 */
final class GptReference {
  private final GptConfig c;
  private final Map<String, double[]> p;

  GptReference(GptConfig config, Map<String, double[]> params) {
    this.c = config;
    this.p = params;
  }

  /** The mean next-token cross-entropy of a batch [B][T]. */
  double loss(int[][] tokens, int[][] targets) {
    double sum = 0;
    int count = 0;
    for (int b = 0; b < tokens.length; b++) {
      double[][] x = embed(tokens[b]);
      for (int l = 0; l < c.layers(); l++) {
        x = block(l, x);
      }
      double[][] lnf = layerNorm(x, "ln_f");
      for (int t = 0; t < x.length; t++) {
        double[] logits = matVec(p.get("wte.weight"), c.vocab(), c.width(), lnf[t], null);
        double max = Double.NEGATIVE_INFINITY;
        for (double v : logits) {
          max = Math.max(max, v);
        }
        double z = 0;
        for (double v : logits) {
          z += Math.exp(v - max);
        }
        sum += Math.log(z) + max - logits[targets[b][t]];
        count++;
      }
    }
    return sum / count;
  }

  private double[][] embed(int[] tokens) {
    int w = c.width();
    double[][] x = new double[tokens.length][w];
    for (int t = 0; t < tokens.length; t++) {
      for (int i = 0; i < w; i++) {
        x[t][i] = p.get("wte.weight")[tokens[t] * w + i] + p.get("wpe.weight")[t * w + i];
      }
    }
    return x;
  }

  private double[][] block(int l, double[][] x) {
    String h = "h." + l + ".";
    int w = c.width();
    int seq = x.length;
    int hs = c.headSize();
    double[][] a = layerNorm(x, h + "ln_1");
    double[][] qkv = new double[seq][];
    for (int t = 0; t < seq; t++) {
      qkv[t] = matVec(p.get(h + "attn.c_attn.weight"), 3 * w, w, a[t], p.get(h + "attn.c_attn.bias"));
    }
    double[][] y = new double[seq][w];
    for (int head = 0; head < c.heads(); head++) {
      int off = head * hs;
      for (int i = 0; i < seq; i++) {
        double[] scores = new double[i + 1];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j <= i; j++) {
          double dot = 0;
          for (int d = 0; d < hs; d++) {
            dot += qkv[i][off + d] * qkv[j][w + off + d];
          }
          scores[j] = dot / Math.sqrt(hs);
          max = Math.max(max, scores[j]);
        }
        double z = 0;
        for (int j = 0; j <= i; j++) {
          scores[j] = Math.exp(scores[j] - max);
          z += scores[j];
        }
        for (int j = 0; j <= i; j++) {
          for (int d = 0; d < hs; d++) {
            y[i][off + d] += scores[j] / z * qkv[j][2 * w + off + d];
          }
        }
      }
    }
    double[][] mid = new double[seq][];
    for (int t = 0; t < seq; t++) {
      mid[t] = add(x[t], matVec(p.get(h + "attn.c_proj.weight"), w, w, y[t], p.get(h + "attn.c_proj.bias")));
    }
    double[][] m = layerNorm(mid, h + "ln_2");
    double[][] out = new double[seq][];
    for (int t = 0; t < seq; t++) {
      double[] hidden = matVec(p.get(h + "mlp.c_fc.weight"), 4 * w, w, m[t], p.get(h + "mlp.c_fc.bias"));
      for (int i = 0; i < hidden.length; i++) {
        double v = hidden[i];
        hidden[i] = 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
      }
      out[t] = add(mid[t], matVec(p.get(h + "mlp.c_proj.weight"), w, 4 * w, hidden, p.get(h + "mlp.c_proj.bias")));
    }
    return out;
  }

  private double[][] layerNorm(double[][] x, String name) {
    double[] weight = p.get(name + ".weight");
    double[] bias = p.get(name + ".bias");
    double[][] out = new double[x.length][x[0].length];
    for (int t = 0; t < x.length; t++) {
      double mean = 0;
      for (double v : x[t]) {
        mean += v;
      }
      mean /= x[t].length;
      double var = 0;
      for (double v : x[t]) {
        var += (v - mean) * (v - mean);
      }
      var /= x[t].length;
      for (int i = 0; i < x[t].length; i++) {
        out[t][i] = (x[t][i] - mean) / Math.sqrt(var + Block.EPS) * weight[i] + bias[i];
      }
    }
    return out;
  }

  /** W v + bias for W [rows, cols] row-major (bias may be null). */
  private static double[] matVec(double[] w, int rows, int cols, double[] v, double[] bias) {
    double[] out = new double[rows];
    for (int r = 0; r < rows; r++) {
      double s = bias == null ? 0 : bias[r];
      for (int k = 0; k < cols; k++) {
        s += w[r * cols + k] * v[k];
      }
      out[r] = s;
    }
    return out;
  }

  private static double[] add(double[] a, double[] b) {
    double[] out = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i] + b[i];
    }
    return out;
  }
}
