package dev.shard4j.tensor;

/**
 * Element types of tensors. The native codes are those of NCCL's {@code ncclDataType_t}, so a
 * dtype passes unchanged to collectives.
 */
public enum DType {
  /** 32-bit IEEE float. */
  F32(4, 7, true),
  /** 64-bit IEEE float. */
  F64(8, 8, true),
  /** 16-bit IEEE half. */
  F16(2, 6, true),
  /** bfloat16: the upper half of an F32. */
  BF16(2, 9, true),
  /** Signed 8-bit integer. */
  I8(1, 0, false),
  /** Unsigned 8-bit integer. */
  U8(1, 1, false),
  /** Signed 32-bit integer. */
  I32(4, 2, false),
  /** Signed 64-bit integer. */
  I64(8, 4, false);

  private final int byteSize;
  private final int nativeCode;
  private final boolean floatingPoint;

  DType(int byteSize, int nativeCode, boolean floatingPoint) {
    this.byteSize = byteSize;
    this.nativeCode = nativeCode;
    this.floatingPoint = floatingPoint;
  }

  /**
   * Bytes per element.
   *
   * @return 1, 2, 4 or 8
   */
  public int byteSize() {
    return byteSize;
  }

  /**
   * The code that the native library (and NCCL) use for this type.
   *
   * @return the ncclDataType_t value
   */
  public int nativeCode() {
    return nativeCode;
  }

  /**
   * Whether this is a floating-point type.
   *
   * @return true for F32, F64, F16, BF16
   */
  public boolean isFloatingPoint() {
    return floatingPoint;
  }
}
