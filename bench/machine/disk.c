// What this machine's disk and file system charge a node and a store: fdatasync of a 4 KiB
// write (the store's commit), back to back and with gaps between them, and the CPU of creating
// a file, a folder, and removing them, in a folder given on the command line (default
// /var/tmp). docs/performance.md quotes it beside the control plane's figures:
//   cc -O2 -o /tmp/disk bench/machine/disk.c && /tmp/disk /var/tmp
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double NowUs(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static double CpuUs(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6 + u.ru_utime.tv_usec + u.ru_stime.tv_usec;
}

static int Cmp(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

// fdatasync after each 4 KiB append, `gap_us` apart; prints p50 and p90.
static void Sync(const char* dir, int gap_us) {
  enum { kN = 200 };
  char path[512];
  snprintf(path, sizeof(path), "%s/fg-disk-sync", dir);
  int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
  static char buf[4096];
  double d[kN];
  for (int i = 0; i < kN; i++) {
    if (pwrite(fd, buf, sizeof(buf), (off_t)i * sizeof(buf)) != sizeof(buf)) perror("pwrite");
    if (gap_us > 0) usleep(gap_us);
    double t = NowUs();
    fdatasync(fd);
    d[i] = NowUs() - t;
  }
  close(fd);
  unlink(path);
  qsort(d, kN, sizeof(double), Cmp);
  printf("fdatasync of a 4 KiB append, %5d us apart: p50 %6.0f us, p90 %6.0f us\n", gap_us,
         d[kN / 2], d[kN * 9 / 10]);
}

// CPU per operation of `n` creations (file or folder) and then `n` removals.
static void Inodes(const char* dir, int folders) {
  enum { kN = 500 };
  char path[512];
  double c0 = CpuUs();
  for (int i = 0; i < kN; i++) {
    snprintf(path, sizeof(path), "%s/fg-disk-%d", dir, i);
    if (folders) {
      mkdir(path, 0700);
    } else {
      close(open(path, O_CREAT | O_WRONLY, 0600));
    }
  }
  double c1 = CpuUs();
  for (int i = 0; i < kN; i++) {
    snprintf(path, sizeof(path), "%s/fg-disk-%d", dir, i);
    if (folders) {
      rmdir(path);
    } else {
      unlink(path);
    }
  }
  double c2 = CpuUs();
  printf("%s: create %.0f us CPU, remove %.0f us CPU\n", folders ? "folder" : "file  ",
         (c1 - c0) / kN, (c2 - c1) / kN);
}

int main(int argc, char** argv) {
  const char* dir = argc > 1 ? argv[1] : "/var/tmp";
  for (int gap = 0; gap <= 8000; gap += gap == 0 ? 1000 : 3000) Sync(dir, gap);
  // Twice: the second round's creations come right after the first round's removals.
  for (int round = 0; round < 2; round++) {
    Inodes(dir, 0);
    Inodes(dir, 1);
  }
  return 0;
}
