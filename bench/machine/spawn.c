// What starting a job costs the supervisor here, fork against a vfork-style clone: spawns
// /usr/bin/true 500 times from a static process whose heap holds HEAP_KIB touched KiB and which
// writes one byte to each of 64 pages of it while the child runs (as the supervisor does between
// its spawn and the job's exec), and prints the wall time per spawn, exec and wait. Run on one
// CPU beside docs/performance.md's node figures:
//   cc -O2 -static -o /tmp/spawn bench/machine/spawn.c
//   for kib in 256 1024 4096; do taskset -c 1 /tmp/spawn fork $kib; taskset -c 1 /tmp/spawn clone $kib; done
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { kSpawns = 500, kStack = 1 << 16 };
static char* child_argv[] = {"true", NULL};
static char* child_env[] = {"PATH=/usr/bin", NULL};

static int Child(void* unused) {
  (void)unused;
  execve("/usr/bin/true", child_argv, child_env);
  _exit(127);
}

static double NowUs(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

int main(int argc, char** argv) {
  if (argc != 3 || (strcmp(argv[1], "fork") != 0 && strcmp(argv[1], "clone") != 0)) {
    fprintf(stderr, "usage: spawn fork|clone HEAP_KIB\n");
    return 2;
  }
  const int use_clone = strcmp(argv[1], "clone") == 0;
  const size_t heap_size = (size_t)atoi(argv[2]) << 10;
  char* heap = malloc(heap_size + 1);
  memset(heap, 1, heap_size + 1);
  char* stack = mmap(NULL, kStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
                     -1, 0);
  double start = NowUs();
  for (int i = 0; i < kSpawns; ++i) {
    pid_t pid;
    if (use_clone) {
      pid = clone(Child, stack + kStack, CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
    } else {
      pid = fork();
      if (pid == 0) Child(NULL);
    }
    if (pid < 0) {
      perror(argv[1]);
      return 1;
    }
    for (size_t k = 0; k < 64 && k * 8192 < heap_size; ++k) heap[k * 8192] = (char)i;
    waitpid(pid, NULL, 0);
  }
  printf("%s, %s KiB heap: %.1f us per spawn\n", argv[1], argv[2], (NowUs() - start) / kSpawns);
  return 0;
}
