// What this machine charges for the kernel work a job pool does most: a system call, a wakeup
// of a thread on the other CPU (a pipe round trip between two processes, each waking the
// other), the same on one CPU, and fork+exec+wait of /bin/true. The control plane's figures in
// docs/performance.md move with these; run it beside them:
//   cc -O2 -o /tmp/costs bench/machine/costs.c && /tmp/costs
#define _GNU_SOURCE
#include <sched.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

static double Now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static void PinTo(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  sched_setaffinity(0, sizeof(set), &set);
}

// Microseconds per round trip between this process on CPU 0 and a child on CPU `other`.
static double PipeRoundTrip(int other, int rounds) {
  int to[2], back[2];
  char c = 0;
  if (pipe(to) != 0 || pipe(back) != 0) return -1;
  PinTo(0);
  pid_t child = fork();
  if (child == 0) {
    PinTo(other);
    for (int i = 0; i < rounds; ++i) {
      if (read(to[0], &c, 1) != 1 || write(back[1], &c, 1) != 1) _exit(1);
    }
    _exit(0);
  }
  double t0 = Now();
  for (int i = 0; i < rounds; ++i) {
    if (write(to[1], &c, 1) != 1 || read(back[0], &c, 1) != 1) return -1;
  }
  double t1 = Now();
  waitpid(child, NULL, 0);
  return (t1 - t0) / rounds * 1e6;
}

int main(void) {
  const int calls = 1000000;
  double t0 = Now();
  for (int i = 0; i < calls; ++i) syscall(SYS_getppid);
  printf("system call (getppid): %.0f ns\n", (Now() - t0) / calls * 1e9);
  int cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
  if (cpus > 1) printf("pipe round trip, two CPUs: %.1f us\n", PipeRoundTrip(1, 20000));
  printf("pipe round trip, one CPU: %.1f us\n", PipeRoundTrip(0, 20000));
  const int spawns = 200;
  char* argv[] = {"/bin/true", NULL};
  t0 = Now();
  for (int i = 0; i < spawns; ++i) {
    pid_t pid;
    if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) != 0) return 1;
    waitpid(pid, NULL, 0);
  }
  printf("posix_spawn + wait of /bin/true: %.0f us\n", (Now() - t0) / spawns * 1e6);
  return 0;
}
