// The host loops compiled for base (see loops.h and CMakeLists.txt for the flags).
#define S4J_CPU_ISA base
#include "loops.h"
