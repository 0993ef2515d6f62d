/**
 * The lowest layer: the JavaCPP binding of libshard4j's C ABI ({@link
 * dev.shard4j.bindings.Shard4jNative}), its checked Java form ({@link
 * dev.shard4j.bindings.NativeApi}), the CUDA probe, the exceptions of native failures and the
 * {@code SHARD4J_} settings. JavaCPP types stay inside this package.
 */
package dev.shard4j.bindings;
