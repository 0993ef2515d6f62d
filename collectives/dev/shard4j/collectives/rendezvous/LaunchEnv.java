package dev.shard4j.collectives.rendezvous;

import dev.shard4j.bindings.Setting;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Where this process stands in a launch, read from the variables torchrun sets: RANK, WORLD_SIZE,
 * LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT. Rank 0 serves the store at
 * MASTER_ADDR:MASTER_PORT; every rank connects to it. Immutable.
 *
 * @param rank this process's rank
 * @param worldSize the number of ranks
 * @param localRank the rank within this node
 * @param localWorldSize the ranks on this node
 * @param masterAddr the store's host
 * @param masterPort the store's port
 */
public record LaunchEnv(int rank, int worldSize, int localRank, int localWorldSize, String masterAddr,
    int masterPort) {

  /**
   * Checks the values.
   *
   * @param rank this process's rank
   * @param worldSize the number of ranks
   * @param localRank the rank within this node
   * @param localWorldSize the ranks on this node
   * @param masterAddr the store's host
   * @param masterPort the store's port
   */
  public LaunchEnv {
    if (worldSize < 1 || rank < 0 || rank >= worldSize) {
      throw new IllegalArgumentException("RANK=" + rank + " and WORLD_SIZE=" + worldSize + " do not fit");
    }
    if (localWorldSize < 1 || localRank < 0 || localRank >= localWorldSize) {
      throw new IllegalArgumentException("LOCAL_RANK=" + localRank + " and LOCAL_WORLD_SIZE=" + localWorldSize
          + " do not fit");
    }
    Objects.requireNonNull(masterAddr, "MASTER_ADDR");
    if (masterPort < 1 || masterPort > 65535) {
      throw new IllegalArgumentException("MASTER_PORT=" + masterPort + " is not a port");
    }
  }

  /**
   * Reads the process environment.
   *
   * @return the launch
   * @throws IllegalArgumentException naming a missing or malformed variable
   */
  public static LaunchEnv fromEnv() {
    return from(System.getenv());
  }

  /**
   * Reads the variables from a map (LOCAL_RANK and LOCAL_WORLD_SIZE default to RANK and WORLD_SIZE,
   * MASTER_ADDR to 127.0.0.1).
   *
   * @param env the variables
   * @return the launch
   * @throws IllegalArgumentException naming a missing or malformed variable
   */
  public static LaunchEnv from(Map<String, String> env) {
    int rank = integer(env, "RANK", null);
    int world = integer(env, "WORLD_SIZE", null);
    return new LaunchEnv(rank, world, integer(env, "LOCAL_RANK", rank), integer(env, "LOCAL_WORLD_SIZE", world),
        env.getOrDefault("MASTER_ADDR", "127.0.0.1"), integer(env, "MASTER_PORT", null));
  }

  private static int integer(Map<String, String> env, String name, Integer fallback) {
    String v = env.get(name);
    if (v == null) {
      if (fallback != null) {
        return fallback;
      }
      throw new IllegalArgumentException(name + " is not set (torchrun sets RANK, WORLD_SIZE, LOCAL_RANK, "
          + "LOCAL_WORLD_SIZE, MASTER_ADDR and MASTER_PORT)");
    }
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + "=" + v + " is not an integer");
    }
  }

  /**
   * Starts the store on rank 0 (listening on MASTER_PORT) and connects every rank to it.
   *
   * @return the connection, and on rank 0 the server too
   */
  public Rendezvous join() {
    return join(Setting.TIMEOUT.asSeconds());
  }

  /**
   * Like {@link #join()} with an explicit timeout for connecting and for every store call.
   *
   * @param timeout the timeout
   * @return the connection, and on rank 0 the server too
   */
  public Rendezvous join(Duration timeout) {
    TcpStoreServer server = null;
    if (rank == 0) {
      try {
        server = TcpStoreServer.start(InetAddress.getByName(masterAddr), masterPort);
      } catch (UnknownHostException e) {
        throw new StoreException("MASTER_ADDR=" + masterAddr + " is not a known host", e);
      }
    }
    try {
      return new Rendezvous(this, server, TcpStore.connect(masterAddr, masterPort, timeout));
    } catch (RuntimeException e) {
      if (server != null) {
        server.close();
      }
      throw e;
    }
  }
}
