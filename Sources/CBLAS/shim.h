#pragma once
#include <cblas.h>
#include <stddef.h>

// LAPACK's Cholesky routines, which OpenBLAS exports (Debian ships no lapack.h with it). Fortran
// calling convention: every argument by pointer, plus the hidden length of each character argument
// at the end (ignored by OpenBLAS's C implementation of dpotrf, needed by the Fortran dpotrs).
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t uplo_length);
void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *lda, double *b, const int *ldb,
             int *info, size_t uplo_length);
