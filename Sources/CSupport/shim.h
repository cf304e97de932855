// Header-only shims for libc calls Swift cannot import directly (variadic or macro-based).
#pragma once
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

// Keep multi-MB tensor buffers on the heap instead of fresh mmaps: page faults on new
// mappings dominate the message path otherwise.
static inline void fedsim_tune_malloc_for_big_buffers(void) {
    mallopt(M_MMAP_THRESHOLD, 256 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 512 * 1024 * 1024);
}

// A child asks the kernel to send it `sig` when the thread that spawned it exits.
static inline int fedsim_set_parent_death_signal(int sig) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)sig, 0UL, 0UL, 0UL);
}

static inline void fedsim_line_buffer_stdout(void) { setvbuf(stdout, NULL, _IOLBF, 0); }
static inline void fedsim_flush_stdout(void) { fflush(stdout); }

static inline int fedsim_wait_exited(int status) { return WIFEXITED(status); }
static inline int fedsim_wait_exit_status(int status) { return WEXITSTATUS(status); }
static inline int fedsim_wait_signaled(int status) { return WIFSIGNALED(status); }
static inline int fedsim_wait_term_signal(int status) { return WTERMSIG(status); }
