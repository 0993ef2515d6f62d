package dev.shard4j.cli.perf;

import dev.shard4j.collectives.RedOp;
import dev.shard4j.collectives.rendezvous.LaunchEnv;
import dev.shard4j.tensor.DType;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one {@code shard4j perf} run measures; the flags mirror nccl-tests.
 *
 * @param collective the operation
 * @param backend cpu (ranks are threads of this JVM) or nccl (one rank per GPU)
 * @param ranks ranks in all
 * @param minBytes -b
 * @param maxBytes -e
 * @param stepFactor -f (0 or 1: step by stepBytes)
 * @param stepBytes -i
 * @param iters -n
 * @param warmup -w
 * @param check -c: verify results
 * @param dtypes -d
 * @param ops -o
 * @param roots -r
 * @param blocking -z: wait for every operation before starting the next
 * @param memory also print memory throughput and its fraction of a copy bandwidth
 * @param json where to write the rows as JSON, or null
 * @param jitWarmup untimed wall time at the first small size, so the JVM has compiled the path
 * @param jitSettle the longest wait, before each timed series, for the JIT compiler to go idle
 * @param launch this process's rank of a launch with one rank per process (torchrun's variables),
 *     or null when every rank is in this process
 */
record PerfOptions(Collective collective, String backend, int ranks, long minBytes, long maxBytes, int stepFactor, long stepBytes,
    int iters, int warmup, boolean check, List<DType> dtypes, List<RedOp> ops, List<Integer> roots, boolean blocking,
    boolean memory, Path json, java.time.Duration jitWarmup, java.time.Duration jitSettle, LaunchEnv launch) {

  /** The sizes to run, as nccl-tests steps them. */
  long[] sizes() {
    java.util.List<Long> sizes = new java.util.ArrayList<>();
    for (long s = minBytes; s <= maxBytes; s = stepFactor > 1 ? s * stepFactor : s + stepBytes) {
      sizes.add(s);
      if (stepFactor <= 1 && stepBytes <= 0) {
        break;
      }
    }
    return sizes.stream().mapToLong(Long::longValue).toArray();
  }

  /** nccl-tests' name of a dtype. */
  static String typeName(DType d) {
    return switch (d) {
      case F32 -> "float";
      case F64 -> "double";
      case F16 -> "half";
      case BF16 -> "bfloat16";
      case I8 -> "int8";
      case U8 -> "uint8";
      case I32 -> "int32";
      case I64 -> "int64";
    };
  }

  /** The -d names, nccl-tests', each standing for its dtype, and "all". */
  static Map<String, List<DType>> datatypeNames() {
    Map<String, List<DType>> names = new LinkedHashMap<>();
    for (DType d : DType.values()) {
      names.put(typeName(d), List.of(d));
    }
    names.put("all", List.of(DType.values()));
    return names;
  }

  /** The -o names, nccl-tests' (premulsum multiplies by 2 before summing), and "all". */
  static Map<String, List<RedOp>> opNames() {
    List<RedOp> all = List.of(RedOp.SUM, RedOp.PROD, RedOp.MAX, RedOp.MIN, RedOp.AVG, RedOp.premulSum(2.0));
    Map<String, List<RedOp>> names = new LinkedHashMap<>();
    for (RedOp op : all) {
      names.put(opName(op), List.of(op));
    }
    names.put("all", all);
    return names;
  }

  static String opName(RedOp op) {
    return op.isPremulSum() ? "premulsum" : op.name().toLowerCase(java.util.Locale.ROOT);
  }

  /**
   * A size flag's bytes: "64M" is 64 MiB, as nccl-tests reads sizes.
   *
   * @throws IllegalArgumentException naming the flag unless the size is positive
   */
  static long parseBytes(String flag, String text) {
    String t = text.trim().toUpperCase(java.util.Locale.ROOT);
    long unit = 1;
    char last = t.isEmpty() ? ' ' : t.charAt(t.length() - 1);
    if (last == 'K' || last == 'M' || last == 'G') {
      unit = last == 'K' ? 1L << 10 : last == 'M' ? 1L << 20 : 1L << 30;
      t = t.substring(0, t.length() - 1);
    }
    try {
      long v = Math.multiplyExact(Long.parseLong(t), unit);
      if (v <= 0) {
        throw new NumberFormatException();
      }
      return v;
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException(flag + " must be a size such as 8, 64K, 128M or 1G, got '" + text + "'");
    }
  }
}
