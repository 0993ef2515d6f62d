package dev.shard4j.collectives.local;

import dev.shard4j.bindings.NativeApi;

/**
 * The one-meeting form of a small collective: each rank first copies its input into its own
 * staging slot, and after the meeting computes its own output from the peers' slots only, so
 * nobody touches another rank's buffers and no second meeting is needed. The slots alternate
 * between collectives: a slot is written again only after a meeting that follows every read.
 */
abstract class Staged {
  /** Bytes this rank stages; the path is taken when that is at most GroupState.SMALL_BYTES. */
  long bytes(Call mine) {
    return RankWork.bytesOf(mine.send());
  }

  /** Copies this rank's input into its slot, before the meeting. */
  void stage(Call mine, long slot) {
    NativeApi.memcpy(slot, NativeApi.HOST, mine.send().dataAddress(), NativeApi.HOST, RankWork.bytesOf(mine.send()), 0);
  }

  /** Computes this rank's output from the slots, after the meeting. */
  abstract void compute(RankWork w, Call mine, int parity);

  static final Staged ALL_REDUCE = new Staged() {
    @Override
    void compute(RankWork w, Call c, int parity) {
      w.reduce(w.slots(parity, 0), new long[] {RankWork.at(c.recv(), 0)}, c, c.count());
    }
  };

  static final Staged REDUCE = new Staged() {
    @Override
    void compute(RankWork w, Call c, int parity) {
      if (w.rank() == c.root()) {
        w.reduce(w.slots(parity, 0), new long[] {RankWork.at(c.recv(), 0)}, c, c.count());
      }
    }
  };

  static final Staged REDUCE_SCATTER = new Staged() {
    @Override
    void compute(RankWork w, Call c, int parity) {
      w.reduce(w.slots(parity, w.rank() * c.count() * c.dtype().byteSize()), new long[] {RankWork.at(c.recv(), 0)}, c,
          c.count());
    }
  };

  static final Staged ALL_GATHER = new Staged() {
    @Override
    void compute(RankWork w, Call c, int parity) {
      long bytes = RankWork.bytesOf(c.send());
      long[] slots = w.slots(parity, 0);
      for (int q = 0; q < slots.length; q++) {
        NativeApi.memcpy(RankWork.at(c.recv(), q * c.count()), NativeApi.HOST, slots[q], NativeApi.HOST, bytes, 0);
      }
    }
  };

  static final Staged BROADCAST = new Staged() {
    @Override
    long bytes(Call c) {
      return RankWork.bytesOf(c.recv());
    }

    @Override
    void stage(Call c, long slot) {
      if (c.send() != null) { // only the root has a send buffer
        super.stage(c, slot);
      }
    }

    @Override
    void compute(RankWork w, Call c, int parity) {
      if (w.rank() != c.root() || c.send() != c.recv()) {
        NativeApi.memcpy(RankWork.at(c.recv(), 0), NativeApi.HOST, w.slot(c.root(), parity), NativeApi.HOST,
            RankWork.bytesOf(c.recv()), 0);
      }
    }
  };
}
