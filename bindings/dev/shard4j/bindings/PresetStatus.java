package dev.shard4j.bindings;

/**
 * Whether one Bytedeco preset (cuBLAS, NCCL) was loaded, and if not, why.
 *
 * @param loaded true when its JNI library and the library it binds were loaded
 * @param detail the path loaded, or the reason it was not
 */
public record PresetStatus(boolean loaded, String detail) {
  static PresetStatus loaded(String path) {
    return new PresetStatus(true, path);
  }

  static PresetStatus failed(String reason) {
    return new PresetStatus(false, reason);
  }

  static PresetStatus notTried(String reason) {
    return new PresetStatus(false, "not loaded: " + reason);
  }
}
