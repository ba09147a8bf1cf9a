// What making and removing a job's cgroup costs here, per controller: mkdir and rmdir of an
// empty group below this process's own group in each v1 controller (memory, cpu, pids, devices)
// or in the unified hierarchy. Run as root beside docs/performance.md's node figures:
//   cc -O2 -o /tmp/cgroup_mkdir bench/machine/cgroup_mkdir.c && /tmp/cgroup_mkdir
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double NowUs(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

// This process's group in `controller` ("" for the unified hierarchy), from /proc/self/cgroup.
static int OwnGroup(const char* controller, char* out, size_t size) {
  FILE* f = fopen("/proc/self/cgroup", "r");
  if (f == NULL) return 0;
  char line[512];
  int found = 0;
  while (!found && fgets(line, sizeof(line), f) != NULL) {
    char* names = strchr(line, ':');
    char* path = names != NULL ? strchr(names + 1, ':') : NULL;
    if (path == NULL) continue;
    *path++ = '\0';
    path[strcspn(path, "\n")] = '\0';
    found = controller[0] == '\0' ? strcmp(names + 1, "") == 0
                                  : strstr(names + 1, controller) != NULL;
    if (found) snprintf(out, size, "%s", path);
  }
  fclose(f);
  return found;
}

static void Measure(const char* mount, const char* controller) {
  enum { kN = 200 };
  char own[256], dir[768];
  if (!OwnGroup(controller, own, sizeof(own))) return;
  double made = 0, removed = 0;
  for (int i = 0; i < kN; i++) {
    snprintf(dir, sizeof(dir), "%s%s/fg-cgroup-bench-%d", mount, own, i);
    double t = NowUs();
    if (mkdir(dir, 0755) != 0) {
      perror(dir);
      return;
    }
    made += NowUs() - t;
    t = NowUs();
    rmdir(dir);
    removed += NowUs() - t;
  }
  printf("%-28s mkdir %6.1f us, rmdir %6.1f us\n", mount, made / kN, removed / kN);
}

int main(void) {
  Measure("/sys/fs/cgroup/memory", "memory");
  Measure("/sys/fs/cgroup/cpu", "cpu");
  Measure("/sys/fs/cgroup/pids", "pids");
  Measure("/sys/fs/cgroup/devices", "devices");
  struct stat st;
  if (stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0) Measure("/sys/fs/cgroup", "");
  return 0;
}
