// The test driver: runs every registered test (or those whose name starts with an argument),
// prints one line per test and a summary, and exits non-zero on any failed check.
#include "harness.h"

#include <stdarg.h>

#include <chrono>
#include <string>
#include <vector>

namespace s4jt {

namespace {

struct Entry {
  std::string name;
  TestFunction function;
};

// A function-local list: registrars in other files run before main, in no fixed order.
std::vector<Entry>& tests() {
  static std::vector<Entry> list;
  return list;
}

constexpr int kPrintedPerTest = 10;
int current_failures = 0;

}  // namespace

Registrar::Registrar(const char* name, TestFunction function) { tests().push_back({name, function}); }

void fail_at(const char* file, int line, const char* format, ...) {
  if (++current_failures > kPrintedPerTest) return;
  fprintf(stderr, "%s:%d: ", file, line);
  va_list args;
  va_start(args, format);
  vfprintf(stderr, format, args);
  va_end(args);
  fputc('\n', stderr);
}

int failures() { return current_failures; }

}  // namespace s4jt

// --groups g1 g2 ...: fails unless every test's name starts with one of them plus "_".
// Under AddressSanitizer the allocator fails as glibc's does (the out-of-memory test sees the
// library's own failure, not ASan's abort); ASAN_OPTIONS may add to this.
extern "C" __attribute__((visibility("default"), used)) const char* __asan_default_options() {
  return "allocator_may_return_null=1";
}

static int check_groups(int argc, char** argv) {
  int orphans = 0;
  for (const s4jt::Entry& test : s4jt::tests()) {
    bool found = false;
    for (int a = 2; a < argc; a++) found = found || test.name.rfind(std::string(argv[a]) + "_", 0) == 0;
    if (!found) {
      fprintf(stderr, "test %s is in no group that CTest runs (CMakeLists.txt)\n", test.name.c_str());
      orphans++;
    }
  }
  printf("%zu tests in %d groups, %d in none\n", s4jt::tests().size(), argc - 2, orphans);
  return orphans > 0 ? 1 : 0;
}

int main(int argc, char** argv) {
  using namespace s4jt;
  if (argc >= 2 && strcmp(argv[1], "--groups") == 0) return check_groups(argc, argv);
  int run = 0, failed = 0;
  for (const Entry& test : tests()) {
    bool wanted = argc < 2;
    for (int a = 1; a < argc; a++) wanted = wanted || test.name.rfind(argv[a], 0) == 0;
    if (!wanted) continue;
    current_failures = 0;
    auto start = std::chrono::steady_clock::now();
    test.function();
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    run++;
    if (current_failures > 0) failed++;
    printf("%s %s (%.0f ms)", current_failures > 0 ? "FAIL" : "ok  ", test.name.c_str(), ms);
    if (current_failures > 0) printf(": %d failed checks", current_failures);
    printf("\n");
    fflush(stdout);
  }
  if (run == 0) {
    fprintf(stderr, "no test matches the arguments\n");
    return 2;
  }
  printf("%d tests, %d failed\n", run, failed);
  return failed > 0 ? 1 : 0;
}
