package dev.shard4j.bindings;

import org.bytedeco.javacpp.Pointer;

/**
 * A JavaCPP view of a raw address that owns nothing: never counted against JavaCPP's memory limit
 * and never freed, so device memory and tensor memory can be handed to preset functions.
 */
final class RawPointer extends Pointer {
  RawPointer(long address) {
    this.address = address;
  }
}
