package dev.shard4j.bindings;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The native library refuses bad arguments with a status, which becomes a Java exception. */
class NativeApiTest {
  private static final int F32 = 7;

  @Test
  void loadsAndDescribesItself() {
    assertTrue(NativeLibrary.isLoaded(), String.valueOf(NativeLibrary.failureReason()));
    assertTrue(NativeApi.buildInfo().startsWith("libshard4j "), NativeApi.buildInfo());
  }

  @Test
  void hostMemoryIsAlignedAndRoundTrips() {
    long p = NativeApi.hostAlloc(1000, 64);
    try {
      assertEquals(0, p % 64);
      float[] in = {1.5f, -2.25f, Float.NaN, 7f};
      HostMemory.put(p, in, 0, 4);
      float[] out = new float[4];
      HostMemory.get(p, out, 0, 4);
      assertArrayEquals(in, out);
    } finally {
      NativeApi.hostFree(p);
    }
  }

  /**
   * A block aligned to 2 MiB asks the kernel for transparent huge pages (madvise): its mapping
   * becomes eligible for them, where a block of the same size aligned to a cache line is not
   * (unless the kernel gives every mapping huge pages, THP "always"). Both are over 32 MiB, where
   * glibc always maps fresh memory: a smaller block could reuse a range advised for an earlier one.
   */
  @Test
  void hugeAlignedHostBlocksAskForHugePages() throws Exception {
    Path thp = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");
    assumeTrue(Files.isReadable(thp) && Files.isReadable(Path.of("/proc/self/smaps")), "no THP control here");
    String mode = Files.readString(thp);
    assumeTrue(!mode.contains("[never]"), "THP is off: " + mode.trim());
    long hugePage = 2L << 20;
    long bytes = 16 * hugePage + 100;
    long huge = NativeApi.hostAlloc(bytes, hugePage);
    long plain = NativeApi.hostAlloc(bytes, 64);
    try {
      assertEquals(0, huge % hugePage);
      float[] in = {1.5f, -2.25f, Float.NaN, 7f};
      float[] out = new float[4];
      for (long at : new long[] {huge, huge + bytes - 16}) { // the first and the last whole floats
        HostMemory.put(at, in, 0, 4);
        HostMemory.get(at, out, 0, 4);
        assertArrayEquals(in, out);
      }
      int eligible = thpEligible(huge + hugePage);
      assumeTrue(eligible >= 0, "this kernel's smaps has no THPeligible field");
      assertEquals(1, eligible, "huge-aligned block");
      if (mode.contains("[madvise]")) {
        assertEquals(0, thpEligible(plain + hugePage), "cache-line-aligned block");
      }
    } finally {
      NativeApi.hostFree(huge);
      NativeApi.hostFree(plain);
    }
  }

  /** The THPeligible field of the mapping that holds an address (/proc/self/smaps), or -1. */
  private static int thpEligible(long address) throws java.io.IOException {
    boolean inside = false;
    for (String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
      java.util.regex.Matcher range = java.util.regex.Pattern.compile("^([0-9a-f]+)-([0-9a-f]+) ").matcher(line);
      if (range.find()) {
        inside = Long.compareUnsigned(Long.parseUnsignedLong(range.group(1), 16), address) <= 0
            && Long.compareUnsigned(address, Long.parseUnsignedLong(range.group(2), 16)) < 0;
      } else if (inside && line.startsWith("THPeligible:")) {
        return Integer.parseInt(line.substring("THPeligible:".length()).trim());
      }
    }
    return -1;
  }

  /**
   * The address lists of a reduce cross JNI through memory each thread keeps: lists longer than it
   * holds at first (8) grow it, and shorter calls after that still read only their own entries.
   */
  @Test
  void reduceTakesAnyNumberOfInputsAndOutputs() {
    int count = 37;
    for (int[] shape : new int[][] {{2, 1}, {13, 11}, {3, 2}, {9, 1}, {1, 17}}) {
      int n = shape[0];
      int nDst = shape[1];
      long[] srcs = new long[n];
      long[] dsts = new long[nDst];
      float[] expected = new float[count];
      try {
        for (int i = 0; i < n; i++) {
          srcs[i] = NativeApi.hostAlloc(4L * count, 64);
          float[] v = new float[count];
          for (int k = 0; k < count; k++) {
            v[k] = (i * 7 + k * 3) % 11 - 5; // small integers: exact in any order
            expected[k] += v[k];
          }
          HostMemory.put(srcs[i], v, 0, count);
        }
        for (int j = 0; j < nDst; j++) {
          dsts[j] = NativeApi.hostAlloc(4L * count, 64);
        }
        NativeApi.reduce(NativeApi.HOST, 0, srcs, F32, dsts, F32, count, 0, 1.0, 1.0);
        for (int j = 0; j < nDst; j++) {
          float[] got = new float[count];
          HostMemory.get(dsts[j], got, 0, count);
          assertArrayEquals(expected, got, n + " inputs, output " + j + " of " + nDst);
        }
      } finally {
        for (long a : srcs) {
          if (a != 0) {
            NativeApi.hostFree(a);
          }
        }
        for (long a : dsts) {
          if (a != 0) {
            NativeApi.hostFree(a);
          }
        }
      }
    }
  }

  @Test
  void badArgumentsNeverReachMemory() {
    long p = NativeApi.hostAlloc(64, 64);
    try {
      long[] one = {1};
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> NativeApi.copyStrided(NativeApi.HOST, 0, new long[9], p, F32, new long[9], p, F32, new long[9]));
      assertTrue(e.getMessage().contains("ndim 9 not in [0, 8]"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class,
          () -> NativeApi.copyStrided(NativeApi.HOST, 0, new long[] {-2}, p, F32, one, p, F32, one));
      assertTrue(e.getMessage().contains("sizes[0] = -2 is negative"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class,
          () -> NativeApi.copyStrided(NativeApi.HOST, 0, one, p, 3, one, p, F32, one));
      assertTrue(e.getMessage().contains("dst_dtype 3 is not a dtype"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class,
          () -> NativeApi.copyStrided(NativeApi.HOST, 0, one, 0, F32, one, p, F32, one));
      assertTrue(e.getMessage().contains("null pointer"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> NativeApi.fill(NativeApi.HOST, 0, one, 0, F32, one, 1, 1));
      assertTrue(e.getMessage().contains("dst is null"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> NativeApi.hostAlloc(8, 24));
      assertTrue(e.getMessage().contains("alignment 24"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> NativeApi.memcpy(0, NativeApi.HOST, p, NativeApi.HOST, 8, 0));
      assertTrue(e.getMessage().contains("null pointer"), e.getMessage());
    } finally {
      NativeApi.hostFree(p);
    }
  }

  @Test
  void hugeHostAllocationsFailCleanly() {
    OutOfMemoryException e = assertThrows(OutOfMemoryException.class,
        () -> NativeApi.hostAlloc(1L << 62, 64));
    assertTrue(e.getMessage().contains("host allocation"), e.getMessage());
  }

  @Test
  void cudaCallsWithoutADeviceThrowInsteadOfCrashing() {
    org.junit.jupiter.api.Assumptions.assumeFalse(Cuda.available(), "a CUDA device is present");
    assertThrows(CudaUnavailableException.class, NativeApi::cudaDeviceCount);
    assertThrows(CudaUnavailableException.class, () -> NativeApi.deviceAlloc(0, 16, 0));
    assertThrows(CudaUnavailableException.class, () -> NativeApi.streamCreate(0));
    assertThrows(CudaUnavailableException.class, () -> NativeApi.eventCreate(0, false));
    assertThrows(IllegalArgumentException.class, () -> NativeApi.deviceAlloc(-3, 16, 0));
  }

  @Test
  void probeNeverThrowsAndExplainsItself() {
    CudaReport report = Cuda.probe();
    assertTrue(report == Cuda.probe(), "the verdict is cached");
    if (report.deviceCount() == 0) {
      assertFalse(report.reason().isEmpty());
      assertFalse(report.nccl().loaded());
      assertTrue(report.nccl().detail().startsWith("not loaded"), report.nccl().detail());
    } else {
      assertEquals(report.deviceCount(), report.devices().size());
    }
  }

  @Test
  void settingsReadPropertiesThenEnvironmentThenDefaults() {
    assertEquals("300", Setting.TIMEOUT.defaultValue());
    System.setProperty(Setting.TIMEOUT.key(), "2.5");
    try {
      assertEquals("system property", Setting.TIMEOUT.source());
      assertEquals(2500, Setting.TIMEOUT.asSeconds().toMillis());
      System.setProperty(Setting.TIMEOUT.key(), "soon");
      IllegalStateException e = assertThrows(IllegalStateException.class, Setting.TIMEOUT::asSeconds);
      assertTrue(e.getMessage().contains("SHARD4J_TIMEOUT=soon"), e.getMessage());
    } finally {
      System.clearProperty(Setting.TIMEOUT.key());
    }
    System.setProperty(Setting.DEBUG.key(), "collectives, allocations");
    try {
      assertTrue(Setting.DEBUG.has("allocations"));
      assertFalse(Setting.DEBUG.has("alloc"));
    } finally {
      System.clearProperty(Setting.DEBUG.key());
    }
  }
}
