package dev.shard4j.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;

/** A loopback port free a moment ago, for a rendezvous that a test starts in other processes. */
public final class FreePort {
  private FreePort() {}

  /**
   * A port the system just handed out and took back.
   *
   * @return the port
   */
  public static int pick() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
