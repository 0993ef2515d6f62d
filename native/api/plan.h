// A copy plan: the segments of one multi-tensor layout, split into tiles that the CPU threads
// or CUDA blocks take one at a time (the block-to-segment map).
#pragma once

#include <stdint.h>

#include <vector>

#include "shard4j.h"

namespace s4j {

struct Segment {
  uint64_t src;  // 0: write zeros
  uint64_t dst;
  int64_t count;
  int32_t src_dtype;
  int32_t dst_dtype;
};

struct Tile {
  int32_t segment;
  int64_t begin;  // first element of the segment in this tile
  int64_t count;
};

// Elements per tile: large enough to amortise the dispatch, small enough to balance threads.
constexpr int64_t kTileElements = 1 << 16;

}  // namespace s4j

struct s4j_plan_s {
  int device;
  std::vector<s4j::Segment> segments;
  std::vector<s4j::Tile> tiles;
  int64_t elements = 0;       // over all segments
  int64_t bytes_written = 0;  // over all segments
  // CUDA plans only: segments and tiles in one stream-ordered allocation, uploaded on the
  // device's plan stream; ready (a cudaEvent_t) is reached once they are there, last_use after
  // the latest run, which the free waits for. No host-device synchronisation anywhere.
  void* device_memory = nullptr;
  void* device_segments = nullptr;
  void* device_tiles = nullptr;
  void* ready = nullptr;
  void* last_use = nullptr;
  // The dtype pair of every segment (zero segments match any source), or -1: mixed pairs.
  int32_t uniform_dst_dtype = -1;
  int32_t uniform_src_dtype = -1;
};
