#ifndef CADERNO_CBLAS_SHIM_H
#define CADERNO_CBLAS_SHIM_H

#if defined(__APPLE__)
#define ACCELERATE_NEW_LAPACK 1
#include <Accelerate/Accelerate.h>
static inline void caderno_blas_set_threads(int n) { (void)n; }
static inline int caderno_blas_threads(void) { return 1; }
#else
#include <cblas.h>
// OpenBLAS decides its own thread count from the cores; these let `bench` report and set it.
static inline void caderno_blas_set_threads(int n) { openblas_set_num_threads(n); }
static inline int caderno_blas_threads(void) { return openblas_get_num_threads(); }
#endif

#endif
