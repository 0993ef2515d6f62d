// A small test harness for the native tests: self-registering test functions, CHECK macros that
// report file:line and keep going, and a seeded random source. No external framework: the tests
// build wherever the library does, with the sanitizers or without.
#pragma once

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "shard4j.h"

namespace s4jt {

using TestFunction = void (*)();

// Adds a test to the program's list; its name starts with its group ("memory_alignment").
struct Registrar {
  Registrar(const char* name, TestFunction function);
};

// Records a failed check of the running test and prints it (the first few of each test only).
void fail_at(const char* file, int line, const char* format, ...) __attribute__((format(printf, 3, 4)));

// The failures of the running test so far: loops over elements stop at the first bad one.
int failures();

// splitmix64: the same numbers on every platform and standard library, from a fixed seed.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n); n > 0.
  int64_t below(int64_t n) { return (int64_t)(next() % (uint64_t)n); }
  // Uniform in [0, 1).
  double uniform() { return (double)(next() >> 11) * 0x1.0p-53; }
  bool coin() { return (next() & 1) != 0; }

 private:
  uint64_t state_;
};

}  // namespace s4jt

#define S4JT_JOIN2(a, b) a##b
#define S4JT_JOIN(a, b) S4JT_JOIN2(a, b)

// TEST(group_what_it_checks) { ... }: the driver runs the tests whose names start with its arguments.
#define TEST(name) \
  static void name(); \
  static ::s4jt::Registrar S4JT_JOIN(registrar_, name)(#name, name); \
  static void name()

#define CHECK(cond) \
  do { \
    if (!(cond)) ::s4jt::fail_at(__FILE__, __LINE__, "CHECK(%s)", #cond); \
  } while (0)

#define CHECK_MSG(cond, ...) \
  do { \
    if (!(cond)) ::s4jt::fail_at(__FILE__, __LINE__, __VA_ARGS__); \
  } while (0)

// The call returns S4J_OK; otherwise the status and the library's message are reported.
#define CHECK_OK(call) \
  do { \
    int s4jt_status_ = (call); \
    if (s4jt_status_ != S4J_OK) { \
      ::s4jt::fail_at(__FILE__, __LINE__, "%s returned %d: %s", #call, s4jt_status_, s4j_last_error()); \
    } \
  } while (0)

// The call returns `expected` and leaves a message naming `fragment` (when not null).
#define CHECK_STATUS(expected, fragment, call) \
  do { \
    int s4jt_status_ = (call); \
    const char* s4jt_message_ = s4j_last_error(); \
    const char* s4jt_fragment_ = (fragment); \
    if (s4jt_status_ != (expected)) { \
      ::s4jt::fail_at(__FILE__, __LINE__, "%s returned %d, expected %d (message: %s)", #call, s4jt_status_, \
                      (int)(expected), s4jt_message_); \
    } else if (s4jt_fragment_ != nullptr && strstr(s4jt_message_, s4jt_fragment_) == nullptr) { \
      ::s4jt::fail_at(__FILE__, __LINE__, "%s: message '%s' lacks '%s'", #call, s4jt_message_, s4jt_fragment_); \
    } \
  } while (0)

#define CHECK_INVALID(fragment, call) CHECK_STATUS(S4J_ERR_INVALID_ARGUMENT, fragment, call)
