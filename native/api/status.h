// The one place where native failures become a status code and a message for the caller.
#pragma once

#include "shard4j.h"

namespace s4j {

// Records the message of a failure on this thread and returns its status.
int fail(int status, const char* format, ...) __attribute__((format(printf, 2, 3)));

}  // namespace s4j

// Returns S4J_ERR_INVALID_ARGUMENT naming the argument unless the condition holds.
#define S4J_REQUIRE(cond, ...) \
  do { \
    if (!(cond)) return ::s4j::fail(S4J_ERR_INVALID_ARGUMENT, __VA_ARGS__); \
  } while (0)

// Propagates a failed status (its message is already recorded).
#define S4J_TRY(call) \
  do { \
    int s4j_status_ = (call); \
    if (s4j_status_ != S4J_OK) return s4j_status_; \
  } while (0)
