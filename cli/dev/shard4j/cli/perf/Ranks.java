package dev.shard4j.cli.perf;

import dev.shard4j.collectives.Communicator;
import dev.shard4j.collectives.local.LocalGroup;
import dev.shard4j.collectives.nccl.NcclCommunicator;
import dev.shard4j.collectives.rendezvous.LaunchEnv;
import dev.shard4j.collectives.rendezvous.Rendezvous;
import dev.shard4j.tensor.Device;
import java.util.ArrayList;
import java.util.List;

/**
 * The ranks of a perf run that live in this process, joined once for every series: threads of
 * this JVM on the CPU, one NCCL rank per GPU of this process, or this process's one NCCL rank of a
 * launch (torchrun's variables) on cuda:LOCAL_RANK, through the rendezvous.
 */
final class Ranks implements AutoCloseable {
  private final List<Communicator> communicators;
  private final Rendezvous rendezvous;

  private Ranks(List<Communicator> communicators, Rendezvous rendezvous) {
    this.communicators = communicators;
    this.rendezvous = rendezvous;
  }

  static Ranks join(PerfOptions o) {
    if (!o.backend().equals("nccl")) {
      return new Ranks(LocalGroup.create(o.ranks()), null);
    }
    LaunchEnv launch = o.launch();
    if (launch == null) {
      List<Device> devices = new ArrayList<>();
      for (int i = 0; i < o.ranks(); i++) {
        devices.add(Device.cuda(i));
      }
      return new Ranks(new ArrayList<>(NcclCommunicator.createAll(devices)), null);
    }
    Rendezvous rendezvous = launch.join();
    try {
      return new Ranks(List.of(NcclCommunicator.create(rendezvous, Device.cuda(launch.localRank()))), rendezvous);
    } catch (RuntimeException e) {
      rendezvous.abort();
      throw e;
    }
  }

  List<Communicator> communicators() {
    return communicators;
  }

  @Override
  public void close() {
    try {
      communicators.forEach(Communicator::close);
    } finally {
      if (rendezvous != null) {
        rendezvous.close();
      }
    }
  }

  /**
   * Lets go of the ranks after a failure: the communicators are aborted (the peers' collectives
   * then fail at their timeout) and the rendezvous closes without waiting for the other ranks.
   */
  void abort(Throwable cause) {
    try {
      communicators.forEach(c -> c.abort(cause));
    } finally {
      if (rendezvous != null) {
        rendezvous.abort();
      }
    }
  }
}
