package dev.shard4j.collectives.rendezvous;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The key-value store's server (rank 0 runs it, as torchrun's c10d store does): a map of keys to
 * byte values, one thread per client connection, and waits for keys that time out on the server
 * with the client's own timeout. Thread-safe; the creator closes it.
 */
public final class TcpStoreServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TcpStoreServer.class);

  private final ServerSocket socket;
  private final Map<String, byte[]> values = new HashMap<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final Set<Socket> clients = ConcurrentHashMap.newKeySet();
  private final Thread acceptor;
  private volatile boolean closed;

  private TcpStoreServer(ServerSocket socket) {
    this.socket = socket;
    this.acceptor = new Thread(this::accept, "shard4j-store-accept-" + socket.getLocalPort());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /**
   * Starts a server.
   *
   * @param address the address to listen on (null: every address)
   * @param port the port, or 0 for any free one
   * @return the running server, owned by the caller
   * @throws StoreException if the port cannot be bound
   */
  public static TcpStoreServer start(InetAddress address, int port) {
    try {
      ServerSocket s = new ServerSocket();
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(address, port), 128);
      return new TcpStoreServer(s);
    } catch (IOException e) {
      throw new StoreException("store server cannot listen on " + (address == null ? "*" : address) + ":" + port
          + ": " + e.getMessage(), e);
    }
  }

  /**
   * The port it listens on.
   *
   * @return the bound port
   */
  public int port() {
    return socket.getLocalPort();
  }

  private void accept() {
    while (!closed) {
      try {
        Socket client = socket.accept();
        client.setTcpNoDelay(true);
        clients.add(client);
        Thread t = new Thread(() -> serve(client), "shard4j-store-client");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        if (!closed) {
          LOG.warn("store server: accept failed: {}", e.toString());
        }
      }
    }
  }

  private void serve(Socket client) {
    try (client;
        DataInputStream in = new DataInputStream(new BufferedInputStream(client.getInputStream()));
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(client.getOutputStream()))) {
      while (!closed) {
        byte op;
        try {
          op = in.readByte();
        } catch (java.io.EOFException e) {
          return; // the client closed the connection
        }
        int n = in.readUnsignedByte();
        if (n > Protocol.MAX_ARGS) {
          throw new IOException("too many arguments");
        }
        byte[][] args = new byte[n][];
        for (int i = 0; i < n; i++) {
          args[i] = Protocol.readBytes(in);
        }
        long timeoutMs = in.readLong();
        handle(op, args, timeoutMs, out);
        out.flush();
      }
    } catch (IOException e) {
      if (!closed) {
        LOG.debug("store server: client {} left: {}", client.getRemoteSocketAddress(), e.toString());
      }
    } finally {
      clients.remove(client);
    }
  }

  private void handle(byte op, byte[][] args, long timeoutMs, DataOutputStream out) throws IOException {
    try {
      byte[] reply = switch (op) {
        case Protocol.SET -> set(key(args, 0), args[1]);
        case Protocol.GET -> awaitKeys(List.of(key(args, 0)), timeoutMs) ? get(key(args, 0)) : null;
        case Protocol.ADD -> add(key(args, 0), ByteBuffer.wrap(args[1]).getLong());
        case Protocol.COMPARE_SET -> compareSet(key(args, 0), args[1], args[2]);
        case Protocol.WAIT -> {
          String[] keys = new String[args.length];
          for (int i = 0; i < args.length; i++) {
            keys[i] = key(args, i);
          }
          yield awaitKeys(Arrays.asList(keys), timeoutMs) ? new byte[0] : null;
        }
        case Protocol.DELETE -> new byte[] {(byte) (delete(key(args, 0)) ? 1 : 0)};
        default -> throw new IllegalArgumentException("unknown operation " + op);
      };
      out.writeByte(reply == null && (op == Protocol.GET || op == Protocol.WAIT) ? Protocol.TIMEOUT : Protocol.OK);
      Protocol.writeBytes(out, reply);
    } catch (RuntimeException e) {
      out.writeByte(Protocol.ERROR);
      Protocol.writeBytes(out, String.valueOf(e.getMessage()).getBytes(StandardCharsets.UTF_8));
    }
  }

  private static String key(byte[][] args, int i) {
    if (i >= args.length || args[i] == null) {
      throw new IllegalArgumentException("missing key");
    }
    return new String(args[i], StandardCharsets.UTF_8);
  }

  private byte[] set(String key, byte[] value) {
    lock.lock();
    try {
      values.put(key, value == null ? new byte[0] : value);
      changed.signalAll();
      return new byte[0];
    } finally {
      lock.unlock();
    }
  }

  private byte[] get(String key) {
    lock.lock();
    try {
      return values.get(key);
    } finally {
      lock.unlock();
    }
  }

  private byte[] add(String key, long delta) {
    lock.lock();
    try {
      byte[] old = values.get(key);
      long v = (old == null ? 0 : Long.parseLong(new String(old, StandardCharsets.UTF_8))) + delta;
      values.put(key, Long.toString(v).getBytes(StandardCharsets.UTF_8));
      changed.signalAll();
      return ByteBuffer.allocate(8).putLong(v).array();
    } finally {
      lock.unlock();
    }
  }

  private byte[] compareSet(String key, byte[] expected, byte[] desired) {
    lock.lock();
    try {
      byte[] current = values.get(key);
      if (Arrays.equals(current, expected)) {
        values.put(key, desired);
        changed.signalAll();
        return desired;
      }
      return current;
    } finally {
      lock.unlock();
    }
  }

  private boolean delete(String key) {
    lock.lock();
    try {
      return values.remove(key) != null;
    } finally {
      lock.unlock();
    }
  }

  private boolean awaitKeys(List<String> keys, long timeoutMs) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(0, timeoutMs));
    lock.lock();
    try {
      while (!values.keySet().containsAll(keys)) {
        long left = deadline - System.nanoTime();
        if (left <= 0 || closed) {
          return false;
        }
        changed.awaitNanos(left);
      }
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits until every client has disconnected, at most the timeout (so that rank 0 does not take
   * the store away while the others still read it).
   *
   * @param timeout the longest wait
   * @return true when no client is left
   */
  public boolean awaitNoClients(java.time.Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!clients.isEmpty()) {
      if (System.nanoTime() - deadline > 0) {
        return false;
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return true;
  }

  /** Stops listening and drops every client; their pending calls fail. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    for (Socket c : clients) {
      try {
        c.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
    lock.lock();
    try {
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }
}
