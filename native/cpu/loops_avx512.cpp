// The host loops compiled for avx512 (see loops.h and CMakeLists.txt for the flags).
#define S4J_CPU_ISA avx512
#include "loops.h"
