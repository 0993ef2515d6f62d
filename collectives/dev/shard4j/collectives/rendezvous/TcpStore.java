package dev.shard4j.collectives.rendezvous;

import dev.shard4j.bindings.Setting;
import dev.shard4j.bindings.WaitTimeoutException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * A client of the rendezvous key-value store ({@link TcpStoreServer}): set, get (waiting for the
 * key), add, compareSet, wait for keys, delete. Every call has a timeout (SHARD4J_TIMEOUT unless
 * given) and fails with a {@link WaitTimeoutException} when it runs out, or a {@link StoreException}
 * naming the server when it is gone. Calls are serialised on one connection; thread-safe.
 */
public final class TcpStore implements AutoCloseable {
  private final String endpoint;
  private final Socket socket;
  private final DataInputStream in;
  private final DataOutputStream out;
  private final Duration timeout;
  private boolean broken;

  private TcpStore(String endpoint, Socket socket, Duration timeout) throws IOException {
    this.endpoint = endpoint;
    this.socket = socket;
    this.timeout = timeout;
    this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
    this.out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));
  }

  /**
   * Connects, retrying while the server is not up yet, for at most the timeout.
   *
   * @param host the server's host
   * @param port the server's port
   * @param timeout how long to try to connect, and the default timeout of every call
   * @return the client, owned by the caller
   */
  public static TcpStore connect(String host, int port, Duration timeout) {
    String endpoint = host + ":" + port;
    long deadline = System.nanoTime() + timeout.toNanos();
    IOException last = null;
    long pause = 20;
    while (System.nanoTime() - deadline < 0) {
      Socket s = new Socket();
      try {
        long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
        s.connect(new InetSocketAddress(host, port), (int) Math.min(left, Integer.MAX_VALUE));
        if (s.getLocalPort() == s.getPort() && s.getLocalAddress().equals(s.getInetAddress())) {
          // TCP's simultaneous open: with no server yet, a retried connect on loopback can pick
          // the server's port as its own and connect to itself. That is no server: retry.
          throw new IOException("connected to itself (no server listening yet)");
        }
        s.setTcpNoDelay(true);
        return new TcpStore(endpoint, s, timeout);
      } catch (IOException e) {
        last = e;
        try {
          s.close();
          Thread.sleep(pause);
        } catch (IOException | InterruptedException ignored) {
          if (Thread.currentThread().isInterrupted()) {
            break;
          }
        }
        pause = Math.min(pause * 2, 500);
      }
    }
    throw new StoreException("cannot reach the store at " + endpoint + " within " + timeout.toMillis() + " ms: "
        + (last == null ? "timed out" : last.getMessage()), last);
  }

  /**
   * Connects with SHARD4J_TIMEOUT.
   *
   * @param host the server's host
   * @param port the server's port
   * @return the client, owned by the caller
   */
  public static TcpStore connect(String host, int port) {
    return connect(host, port, Setting.TIMEOUT.asSeconds());
  }

  /**
   * Sets a key.
   *
   * @param key the key
   * @param value the value
   */
  public void set(String key, byte[] value) {
    call(Protocol.SET, "set('" + key + "')", timeout, utf8(key), value);
  }

  /**
   * The value of a key, waiting until some rank sets it.
   *
   * @param key the key
   * @return the value
   * @throws WaitTimeoutException if nobody set it within the store's timeout
   */
  public byte[] get(String key) {
    return get(key, timeout);
  }

  /**
   * The value of a key, waiting until some rank sets it.
   *
   * @param key the key
   * @param wait the longest wait
   * @return the value
   * @throws WaitTimeoutException if nobody set it in time
   */
  public byte[] get(String key, Duration wait) {
    return call(Protocol.GET, "get('" + key + "')", wait, utf8(key));
  }

  /**
   * Adds to a counter (absent counts as 0) and returns the new value.
   *
   * @param key the counter
   * @param delta what to add
   * @return the value after adding
   */
  public long add(String key, long delta) {
    byte[] reply = call(Protocol.ADD, "add('" + key + "')", timeout, utf8(key),
        ByteBuffer.allocate(8).putLong(delta).array());
    return ByteBuffer.wrap(reply).getLong();
  }

  /**
   * Sets the key to desired if its value is expected (null: absent); either way returns the value
   * it holds afterwards.
   *
   * @param key the key
   * @param expected the value it must hold, or null for absent
   * @param desired the new value
   * @return the value after the call (desired when it matched), null if absent
   */
  public byte[] compareSet(String key, byte[] expected, byte[] desired) {
    return call(Protocol.COMPARE_SET, "compareSet('" + key + "')", timeout, utf8(key), expected, desired);
  }

  /**
   * Waits until every key is set.
   *
   * @param keys the keys
   * @param wait the longest wait
   * @throws WaitTimeoutException if some are still missing when the time runs out
   */
  public void waitFor(List<String> keys, Duration wait) {
    byte[][] args = new byte[keys.size()][];
    for (int i = 0; i < args.length; i++) {
      args[i] = utf8(keys.get(i));
    }
    call(Protocol.WAIT, "wait(" + keys + ")", wait, args);
  }

  /**
   * Deletes a key.
   *
   * @param key the key
   * @return whether it existed
   */
  public boolean delete(String key) {
    return call(Protocol.DELETE, "delete('" + key + "')", timeout, utf8(key))[0] == 1;
  }

  /**
   * The store's default timeout.
   *
   * @return the timeout of calls that take none
   */
  public Duration timeout() {
    return timeout;
  }

  private synchronized byte[] call(byte op, String what, Duration wait, byte[]... args) {
    if (broken) {
      throw new StoreException(what + ": the connection to the store at " + endpoint + " was lost earlier", null);
    }
    try {
      // The server answers by the deadline; the socket timeout only guards against a hung server.
      socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, wait.toMillis() + 30_000));
      out.writeByte(op);
      out.writeByte(args.length);
      for (byte[] a : args) {
        Protocol.writeBytes(out, a);
      }
      out.writeLong(wait.toMillis());
      out.flush();
      byte status = in.readByte();
      byte[] value = Protocol.readBytes(in);
      if (status == Protocol.TIMEOUT) {
        throw new WaitTimeoutException(what + " on the store at " + endpoint + " timed out after " + wait.toMillis()
            + " ms");
      }
      if (status == Protocol.ERROR) {
        throw new StoreException(what + " failed on the store at " + endpoint + ": "
            + new String(value, StandardCharsets.UTF_8), null);
      }
      return value;
    } catch (IOException e) {
      broken = true;
      throw new StoreException(what + ": the store at " + endpoint + " is gone (" + e + ")", e);
    }
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Closes the connection; idempotent. */
  @Override
  public synchronized void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    broken = true;
  }
}
