// Element math of GPT-2's token + position embedding, shared by the CPU and CUDA kernels:
// out[b][t] = wte[token] + wpe[t] in fp32; the backward adds each position's gradient into the
// token's row of the fp32 gradient, positions in order, so repeated tokens sum deterministically.
#pragma once

#include "elements.h"

namespace s4j {

template <class I>
S4J_HD bool token_in_range(I token, int64_t vocab) {
  return (int64_t)token >= 0 && (int64_t)token < vocab;
}

template <class T>
S4J_HD T embedding_value(T token_row, T position_row) {
  return convert<T>(convert<float>(token_row) + convert<float>(position_row));
}

}  // namespace s4j
