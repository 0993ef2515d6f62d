package dev.shard4j.cli.perf;

import dev.shard4j.collectives.Communicator;
import dev.shard4j.collectives.RedOp;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import java.util.ArrayList;
import java.util.List;

/**
 * One rank's send and receive views for one size and placement, and the exact check of the
 * result: inputs are small integers (halves for floats), so that any summation order gives the
 * same result, and only AVG, which divides, is compared within a few units of the last place.
 */
final class Buffers implements AutoCloseable {
  /** Unreachable by any result of the inputs below, so unwritten elements count as wrong. */
  private static final double POISON = 111;

  final Tensor send;
  final Tensor recv;
  private final List<Tensor> views = new ArrayList<>();
  private final long count;

  private Buffers(Tensor send, Tensor recv, long count) {
    this.send = send;
    this.recv = recv;
    this.count = count;
  }

  private Tensor view(Tensor t) {
    views.add(t);
    return t;
  }

  static Buffers of(Collective c, Communicator comm, Tensor sendBuf, Tensor recvBuf, long count, boolean inPlace,
      int root) {
    int w = comm.size();
    int r = comm.rank();
    Buffers b;
    switch (c) {
      case ALL_GATHER -> {
        long sc = count / w;
        Tensor recv = recvBuf.narrow(0, 0, count);
        Tensor send = inPlace ? recv.narrow(0, r * sc, sc) : sendBuf.narrow(0, 0, sc);
        b = new Buffers(send, recv, count);
        b.view(send);
        b.view(recv);
      }
      case REDUCE_SCATTER -> {
        long rc = count / w;
        Tensor send = sendBuf.narrow(0, 0, count);
        Tensor recv = inPlace ? send.narrow(0, r * rc, rc) : recvBuf.narrow(0, 0, rc);
        b = new Buffers(send, recv, count);
        b.view(send);
        b.view(recv);
      }
      case BROADCAST -> {
        Tensor recv = recvBuf.narrow(0, 0, count);
        Tensor send = r != root ? null : inPlace ? recv : sendBuf.narrow(0, 0, count);
        b = new Buffers(send, recv, count);
        b.view(recv);
        if (send != null && send != recv) {
          b.view(send);
        }
      }
      case REDUCE -> {
        Tensor send = inPlace ? recvBuf.narrow(0, 0, count) : sendBuf.narrow(0, 0, count);
        Tensor recv = r != root ? null : inPlace ? send : recvBuf.narrow(0, 0, count);
        b = new Buffers(send, recv, count);
        b.view(send);
        if (recv != null && recv != send) {
          b.view(recv);
        }
      }
      default -> {
        Tensor recv = recvBuf.narrow(0, 0, count);
        Tensor send = inPlace ? recv : sendBuf.narrow(0, 0, count);
        b = new Buffers(send, recv, count);
        b.view(recv);
        if (send != recv) {
          b.view(send);
        }
      }
    }
    return b;
  }

  /** Element i of rank q's input. */
  static double input(DType dtype, int q, long i, RedOp op) {
    if (op == RedOp.PROD) {
      return 1 + (q + i) % 2;
    }
    double v = (q * 5 + i * 3) % 7 - (dtype == DType.U8 ? 0 : 3);
    return dtype.isFloatingPoint() ? v / 2 : v;
  }

  /** Writes this rank's inputs and poisons its outputs. */
  void fillInputs(int rank, RedOp op, Collective c) {
    if (recv != null && recv != send) {
      recv.fill(POISON);
    }
    if (send == null) {
      return;
    }
    double[] v = new double[(int) send.numel()];
    for (int i = 0; i < v.length; i++) {
      v[i] = input(send.dtype(), rank, i, op);
    }
    try (Tensor staged = Tensors.fromArray(send.allocator(), v, send.dtype(), Device.CPU, v.length)) {
      send.copyFrom(staged);
    }
  }

  /** Elements of this rank's output that differ from the reference. */
  long countWrong(int rank, int w, RedOp op, Collective c, int root) {
    if (recv == null) {
      return 0;
    }
    DType dtype = recv.dtype();
    double[] got = recv.toDoubleArray();
    long wrong = 0;
    long block = c == Collective.ALLTOALL ? count / w : 0;
    for (int i = 0; i < got.length; i++) {
      double expected = switch (c) {
        case ALL_REDUCE, REDUCE -> combined(dtype, w, i, op);
        case REDUCE_SCATTER -> combined(dtype, w, rank * (long) got.length + i, op);
        case ALL_GATHER -> input(dtype, (int) (i / (count / w)), i % (count / w), op);
        case BROADCAST -> input(dtype, root, i, op);
        case ALLTOALL -> input(dtype, (int) (i / block), rank * block + i % block, op);
        case SENDRECV -> input(dtype, (rank + w - 1) % w, i, op);
      };
      boolean ok = op == RedOp.AVG && (c == Collective.ALL_REDUCE || c == Collective.REDUCE
          || c == Collective.REDUCE_SCATTER)
          ? Math.abs(got[i] - expected) <= tolerance(dtype) * Math.max(1, Math.abs(expected))
          : got[i] == expected;
      if (!ok) {
        wrong++;
      }
    }
    return wrong;
  }

  private static double tolerance(DType dtype) {
    return switch (dtype) {
      case F64 -> 1e-12;
      case F32 -> 1e-6;
      default -> 1e-2;
    };
  }

  /** The reduction of every rank's element i, rounded to the dtype as the kernel does. */
  static double combined(DType dtype, int w, long i, RedOp op) {
    double acc = input(dtype, 0, i, op) * op.premul();
    for (int q = 1; q < w; q++) {
      double x = input(dtype, q, i, op) * op.premul();
      acc = op == RedOp.PROD ? acc * x : op == RedOp.MAX ? Math.max(acc, x) : op == RedOp.MIN ? Math.min(acc, x)
          : acc + x;
    }
    if (op == RedOp.AVG) {
      acc /= w;
    }
    return switch (dtype) {
      case I8 -> (byte) (long) acc;
      case U8 -> ((long) acc) & 0xFF;
      case I32 -> (int) (long) acc;
      case I64 -> (long) acc;
      case BF16, F16, F32 -> roundTo(dtype, acc);
      case F64 -> acc;
    };
  }

  /** Exact values stay exact; only PROD can leave bf16's 8 bits, and it rounds once like the kernel. */
  private static double roundTo(DType dtype, double v) {
    if (dtype == DType.F32) {
      return (float) v;
    }
    float f = (float) v;
    int bits = Float.floatToIntBits(f);
    if (dtype == DType.BF16) {
      bits += 0x7FFF + ((bits >> 16) & 1);
      return Float.intBitsToFloat(bits & 0xFFFF0000);
    }
    return f; // the half-precision inputs and results here are all exact in fp16
  }

  @Override
  public void close() {
    views.forEach(Tensor::close);
  }
}
