package dev.shard4j.collectives.rendezvous;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * A joined launch: the store connection every rank shares, and on rank 0 the server behind it.
 * Bootstraps what the ranks must agree on, such as the ncclUniqueId that rank 0 creates. The
 * creator closes it; on rank 0, close waits (at most the store's timeout) for the others to leave,
 * since the server goes with it.
 */
public final class Rendezvous implements AutoCloseable {
  private final LaunchEnv env;
  private final TcpStoreServer server;
  private final TcpStore store;
  private long rounds;

  Rendezvous(LaunchEnv env, TcpStoreServer server, TcpStore store) {
    this.env = env;
    this.server = server;
    this.store = store;
  }

  /**
   * The launch this rank joined.
   *
   * @return the environment
   */
  public LaunchEnv env() {
    return env;
  }

  /**
   * The store connection.
   *
   * @return the client
   */
  public TcpStore store() {
    return store;
  }

  /**
   * Rank 0 makes a value (for NCCL, the ncclUniqueId) and publishes it; every rank returns it.
   *
   * @param name what the value is, part of its key
   * @param maker called on rank 0 only
   * @return the value rank 0 made
   */
  public byte[] shareFromRankZero(String name, Supplier<byte[]> maker) {
    String key = "shard4j/" + name + "/" + (++rounds);
    if (env.rank() == 0) {
      store.set(key, maker.get());
    }
    return store.get(key);
  }

  /**
   * Waits until every rank has reached this point (each round has its own keys).
   */
  public void barrier() {
    String prefix = "shard4j/barrier/" + (++rounds) + "/";
    store.set(prefix + env.rank(), new byte[0]);
    List<String> keys = new ArrayList<>();
    for (int r = 0; r < env.worldSize(); r++) {
      keys.add(prefix + r);
    }
    store.waitFor(keys, store.timeout());
  }

  /** Closes the connection, and on rank 0 the server once the other ranks have left it. */
  @Override
  public void close() {
    store.close();
    if (server != null) {
      server.awaitNoClients(store.timeout());
      server.close();
    }
  }

  /**
   * Closes at once, for a rank that failed: on rank 0 the server goes without waiting for the
   * others, whose pending and later store calls then fail at once (the server is gone) instead of
   * waiting out their timeout for a value this rank will never publish. Idempotent, like close.
   */
  public void abort() {
    store.close();
    if (server != null) {
      server.close();
    }
  }
}
