#pragma once
// FG_CHECK(cond): aborts with file:line when one of OUR invariants is broken. Never use it for
// input, files, NVML or peers: those return Status.

#include <cstdio>
#include <cstdlib>

#define FG_CHECK(cond)                                                               \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      std::fprintf(stderr, "%s:%d: FG_CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                  \
    }                                                                                \
  } while (0)
