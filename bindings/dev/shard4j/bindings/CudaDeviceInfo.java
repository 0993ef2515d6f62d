package dev.shard4j.bindings;

/**
 * What one CUDA device is.
 *
 * @param ordinal the CUDA device number
 * @param name the product name
 * @param totalMemory device memory in bytes
 * @param major compute capability, major part
 * @param minor compute capability, minor part
 * @param multiprocessors number of streaming multiprocessors
 */
public record CudaDeviceInfo(int ordinal, String name, long totalMemory, int major, int minor,
    int multiprocessors) {}
