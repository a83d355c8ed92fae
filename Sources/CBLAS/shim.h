#ifndef CADERNO_CBLAS_SHIM_H
#define CADERNO_CBLAS_SHIM_H

#if defined(__APPLE__)
#define ACCELERATE_NEW_LAPACK 1
#include <Accelerate/Accelerate.h>
static inline void caderno_blas_set_threads(int n) { (void)n; }
#else
#include <cblas.h>
// OpenBLAS picks its own thread count from the cores; Caderno sets it to one and splits products itself.
static inline void caderno_blas_set_threads(int n) { openblas_set_num_threads(n); }
#endif

#endif
