package dev.shard4j.bindings;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.ShortPointer;

/**
 * Copies between Java arrays or NIO buffers and host memory at a raw address, in native byte
 * order. The caller guarantees that the address range is live host memory; the tensor layer,
 * which owns that memory, checks bounds before calling. Thread-safe: no state is kept.
 */
public final class HostMemory {
  private HostMemory() {}

  /**
   * Writes array[offset, offset + length) to the address.
   *
   * @param address destination
   * @param array source
   * @param offset first element
   * @param length elements
   */
  public static void put(long address, float[] array, int offset, int length) {
    new FloatPointer(new RawPointer(address)).put(array, offset, length);
  }

  /**
   * Writes array[offset, offset + length) to the address.
   *
   * @param address destination
   * @param array source
   * @param offset first element
   * @param length elements
   */
  public static void put(long address, double[] array, int offset, int length) {
    new DoublePointer(new RawPointer(address)).put(array, offset, length);
  }

  /**
   * Writes array[offset, offset + length) to the address.
   *
   * @param address destination
   * @param array source
   * @param offset first element
   * @param length elements
   */
  public static void put(long address, int[] array, int offset, int length) {
    new IntPointer(new RawPointer(address)).put(array, offset, length);
  }

  /**
   * Writes array[offset, offset + length) to the address.
   *
   * @param address destination
   * @param array source
   * @param offset first element
   * @param length elements
   */
  public static void put(long address, long[] array, int offset, int length) {
    new LongPointer(new RawPointer(address)).put(array, offset, length);
  }

  /**
   * Writes array[offset, offset + length) to the address.
   *
   * @param address destination
   * @param array source
   * @param offset first element
   * @param length elements
   */
  public static void put(long address, short[] array, int offset, int length) {
    new ShortPointer(new RawPointer(address)).put(array, offset, length);
  }

  /**
   * Writes array[offset, offset + length) to the address.
   *
   * @param address destination
   * @param array source
   * @param offset first element
   * @param length elements
   */
  public static void put(long address, byte[] array, int offset, int length) {
    new BytePointer(new RawPointer(address)).put(array, offset, length);
  }

  /**
   * Reads length elements at the address into array[offset, offset + length).
   *
   * @param address source
   * @param array destination
   * @param offset first element
   * @param length elements
   */
  public static void get(long address, float[] array, int offset, int length) {
    new FloatPointer(new RawPointer(address)).get(array, offset, length);
  }

  /**
   * Reads length elements at the address into array[offset, offset + length).
   *
   * @param address source
   * @param array destination
   * @param offset first element
   * @param length elements
   */
  public static void get(long address, double[] array, int offset, int length) {
    new DoublePointer(new RawPointer(address)).get(array, offset, length);
  }

  /**
   * Reads length elements at the address into array[offset, offset + length).
   *
   * @param address source
   * @param array destination
   * @param offset first element
   * @param length elements
   */
  public static void get(long address, int[] array, int offset, int length) {
    new IntPointer(new RawPointer(address)).get(array, offset, length);
  }

  /**
   * Reads length elements at the address into array[offset, offset + length).
   *
   * @param address source
   * @param array destination
   * @param offset first element
   * @param length elements
   */
  public static void get(long address, long[] array, int offset, int length) {
    new LongPointer(new RawPointer(address)).get(array, offset, length);
  }

  /**
   * Reads length elements at the address into array[offset, offset + length).
   *
   * @param address source
   * @param array destination
   * @param offset first element
   * @param length elements
   */
  public static void get(long address, short[] array, int offset, int length) {
    new ShortPointer(new RawPointer(address)).get(array, offset, length);
  }

  /**
   * Reads length elements at the address into array[offset, offset + length).
   *
   * @param address source
   * @param array destination
   * @param offset first element
   * @param length elements
   */
  public static void get(long address, byte[] array, int offset, int length) {
    new BytePointer(new RawPointer(address)).get(array, offset, length);
  }

  /**
   * Copies the buffer's remaining bytes to the address as elements of the given size, in the
   * buffer's byte order (swapped to native order where it differs: a heap buffer is big-endian
   * unless told otherwise), and advances its position.
   *
   * @param address destination
   * @param buffer source, direct or heap, holding a whole number of elements
   * @param elementBytes 1, 2, 4 or 8
   */
  public static void put(long address, ByteBuffer buffer, int elementBytes) {
    int n = buffer.remaining();
    ByteBuffer memory = view(address, n);
    ByteBuffer source = buffer.slice().order(buffer.order()); // slice() alone would be big-endian
    elements(source, elementBytes, memory, n);
    buffer.position(buffer.position() + n);
  }

  /**
   * Fills the buffer's remaining bytes from the address as elements of the given size, in the
   * buffer's byte order, and advances its position.
   *
   * @param address source
   * @param buffer destination, direct or heap, with room for a whole number of elements
   * @param elementBytes 1, 2, 4 or 8
   */
  public static void get(long address, ByteBuffer buffer, int elementBytes) {
    int n = buffer.remaining();
    ByteBuffer target = buffer.slice().order(buffer.order());
    elements(view(address, n), elementBytes, target, n);
    buffer.position(buffer.position() + n);
  }

  /** Copies n bytes as elements; the typed views convert between the two buffers' byte orders. */
  private static void elements(ByteBuffer from, int elementBytes, ByteBuffer to, int n) {
    if (n % elementBytes != 0) {
      throw new IllegalArgumentException(n + " bytes are not a whole number of " + elementBytes + "-byte elements");
    }
    if (elementBytes == 1 || from.order() == to.order()) {
      to.put(from);
      return;
    }
    switch (elementBytes) {
      case 2 -> to.asShortBuffer().put(from.asShortBuffer());
      case 4 -> to.asIntBuffer().put(from.asIntBuffer());
      case 8 -> to.asLongBuffer().put(from.asLongBuffer());
      default -> throw new IllegalArgumentException("element size " + elementBytes + " is not 1, 2, 4 or 8");
    }
  }

  private static ByteBuffer view(long address, int bytes) {
    BytePointer p = new BytePointer(new RawPointer(address));
    p.capacity(bytes);
    return p.asByteBuffer().order(ByteOrder.nativeOrder());
  }
}
