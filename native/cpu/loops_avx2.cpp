// The host loops compiled for avx2 (see loops.h and CMakeLists.txt for the flags).
#define S4J_CPU_ISA avx2
#include "loops.h"
