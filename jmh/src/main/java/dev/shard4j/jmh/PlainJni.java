package dev.shard4j.jmh;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** A hand-written JNI function doing what s4j_abi_version does: the baseline of a native call. */
final class PlainJni {
  private static final String LIBRARY = "native/libplainjni.so";

  static {
    Path file;
    try (InputStream in = PlainJni.class.getResourceAsStream(LIBRARY)) {
      if (in == null) {
        throw new IllegalStateException(LIBRARY + " is missing: build with `mvn -f jmh/pom.xml package`");
      }
      file = Files.createTempFile("plainjni", ".so");
      Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
      file.toFile().deleteOnExit();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    System.load(file.toString());
  }

  private PlainJni() {}

  static native int abiVersion();
}
