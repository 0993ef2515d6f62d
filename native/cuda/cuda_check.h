// The one place where CUDA runtime errors become a status and a message naming the call.
#pragma once

#include <cuda_runtime.h>

#include "../api/status.h"

namespace s4j::cuda {

inline int check(cudaError_t error, const char* call, const char* file, int line) {
  if (error == cudaSuccess) return S4J_OK;
  int status = error == cudaErrorMemoryAllocation ? S4J_ERR_OUT_OF_MEMORY
               : (error == cudaErrorNoDevice || error == cudaErrorInsufficientDriver) ? S4J_ERR_NO_CUDA
                                                                                       : S4J_ERR_CUDA;
  return fail(status, "%s failed: %s (%s, %d) at %s:%d", call, cudaGetErrorString(error),
              cudaGetErrorName(error), (int)error, file, line);
}

// Makes device current for this thread. cudaSetDevice is a driver call paid on every event,
// stream and launch call; the current device is a thread-local read, so set it only on a change.
inline cudaError_t make_current(int device) {
  int current = -1;
  if (cudaGetDevice(&current) == cudaSuccess && current == device) return cudaSuccess;
  return cudaSetDevice(device);
}

}  // namespace s4j::cuda

#define S4J_CUDA(call) S4J_TRY(::s4j::cuda::check((call), #call, __FILE__, __LINE__))
