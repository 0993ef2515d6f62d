#include "status.h"

#include <stdarg.h>
#include <stdio.h>

namespace {
thread_local char last_error[1024] = "";
}

namespace s4j {

int fail(int status, const char* format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(last_error, sizeof last_error, format, args);
  va_end(args);
  return status;
}

}  // namespace s4j

extern "C" const char* s4j_last_error(void) { return last_error; }
