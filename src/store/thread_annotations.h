#pragma once
// Clang thread-safety annotations (checked with -Wthread-safety under clang; no-ops elsewhere),
// as in LevelDB's port/thread_annotations.h. Defined only when nobody defined them first, so a
// project-wide header in common/ can take over later without a clash.

#if defined(__clang__)
#define FG_THREAD_ANNOTATION_(x) __attribute__((x))
#else
#define FG_THREAD_ANNOTATION_(x)
#endif

#ifndef FG_GUARDED_BY
#define FG_GUARDED_BY(x) FG_THREAD_ANNOTATION_(guarded_by(x))
#endif
#ifndef FG_PT_GUARDED_BY
#define FG_PT_GUARDED_BY(x) FG_THREAD_ANNOTATION_(pt_guarded_by(x))
#endif
#ifndef FG_EXCLUSIVE_LOCKS_REQUIRED
#define FG_EXCLUSIVE_LOCKS_REQUIRED(...) \
  FG_THREAD_ANNOTATION_(exclusive_locks_required(__VA_ARGS__))
#endif
#ifndef FG_LOCKS_EXCLUDED
#define FG_LOCKS_EXCLUDED(...) FG_THREAD_ANNOTATION_(locks_excluded(__VA_ARGS__))
#endif
