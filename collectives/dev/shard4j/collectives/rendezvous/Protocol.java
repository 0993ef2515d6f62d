package dev.shard4j.collectives.rendezvous;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * The wire format of the store, one request and one reply per call:
 * request = op (byte), argument count (byte), each argument as length (int) and bytes, then the
 * call's timeout in milliseconds (long); reply = status (byte), then one length-prefixed value.
 */
final class Protocol {
  static final byte SET = 1;
  static final byte GET = 2;
  static final byte ADD = 3;
  static final byte COMPARE_SET = 4;
  static final byte WAIT = 5;
  static final byte DELETE = 6;

  static final byte OK = 0;
  static final byte TIMEOUT = 1;
  static final byte ERROR = 2;

  /** Longest key or value accepted, so a corrupt length cannot exhaust memory. */
  static final int MAX_BYTES = 64 << 20;
  static final int MAX_ARGS = 4096;

  /** Marks an absent value in compareSet's expected argument. */
  static final byte[] ABSENT = null;

  private Protocol() {}

  static void writeBytes(DataOutputStream out, byte[] bytes) throws IOException {
    if (bytes == null) {
      out.writeInt(-1);
      return;
    }
    out.writeInt(bytes.length);
    out.write(bytes);
  }

  static byte[] readBytes(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n == -1) {
      return null;
    }
    if (n < 0 || n > MAX_BYTES) {
      throw new IOException("bad length " + n);
    }
    byte[] b = new byte[n];
    in.readFully(b);
    return b;
  }
}
