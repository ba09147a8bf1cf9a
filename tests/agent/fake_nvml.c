/* A fake libnvidia-ml.so.1 for the agent's NVML tests (tests/agent/nvml_test.cc,
 * gpu_monitor_test.cc and tests/integration/test_gpu_health.py).
 *
 * Without FAKE_NVML_CONFIG: two GPUs, "Fake GPU 0"/"Fake GPU 1", uuids GPU-fake-0/1, 80 GiB
 * each with 1 GiB used, compute capability 8.0.
 *
 * With FAKE_NVML_CONFIG=FILE the devices come from FILE, re-read on every call, so a test can
 * change them while the library is in use (append lines; keep earlier lines in place, since a
 * device's handle is its line's position). One line per item, fields key=value, `_` in a name
 * stands for a space:
 *   gpu uuid=GPU-a name=Fake_A100 memory_mib=81920 used_mib=1024 cc=8.0 util=37 mem_util=5
 *       temp=55 power_mw=123000 ecc_corrected=0 ecc_uncorrected=0 mig=0 lost=0 events=1
 *   mig uuid=MIG-a name=Fake_A100_MIG_3g.40gb memory_mib=40960 used_mib=0 gi=1
 *       (a MIG instance of the last gpu line)
 *   proc pid=4242 used_mib=100   (a compute process on the last gpu or mig line; -1: unknown)
 *   xid xid=79 gi=1 gpu=0        (an XID event on the last gpu line, or on the gpu line
 *                                 numbered `gpu` from 0; gi optional)
 * `lost=1` makes the GPU vanish from enumeration and its handles answer GPU_IS_LOST.
 * `ecc_uncorrected=-1` (or corrected) makes ECC NOT_SUPPORTED; `events=0` refuses events.
 *
 * Built twice: fg_fake_nvml (everything) and, with -DFAKE_NVML_MINIMAL, fg_fake_nvml_minimal
 * with only the core symbols (an old or stripped driver: every optional call is absent). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/nvml/nvml_abi.h"

#define MAX_DEVICES 32
#define MAX_PROCS 64
#define MAX_XIDS 64

typedef struct {
  int is_mig, parent, lost, events, gi;
  char uuid[96], name[96];
  unsigned long long memory, used;
  int cc_major, cc_minor, util, mem_util, temp, power_mw;
  long long ecc_corrected, ecc_uncorrected;
  int mig_mode;
} FakeDevice;

typedef struct {
  int device;
  unsigned pid;
  long long used_mib;
} FakeProc;

typedef struct {
  int device;
  unsigned long long xid;
  int gi;
} FakeXid;

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static FakeDevice g_dev[MAX_DEVICES];
static int g_ndev;
static FakeProc g_proc[MAX_PROCS];
static int g_nproc;
static FakeXid g_xid[MAX_XIDS];
static int g_nxid;
static int g_initialized;
static int g_registered[MAX_DEVICES];
static int g_delivered; /* xid events handed out so far */
static int g_event_set;

static void DefaultDevice(FakeDevice* d, int index) {
  memset(d, 0, sizeof(*d));
  snprintf(d->uuid, sizeof(d->uuid), "GPU-fake-%d", index);
  snprintf(d->name, sizeof(d->name), "Fake GPU %d", index);
  d->memory = 80ULL << 30;
  d->used = 1ULL << 30;
  d->cc_major = 8;
  d->events = 1;
  d->parent = -1;
}

static const char* Field(const char* line, const char* key, char* out, size_t size) {
  size_t n = strlen(key);
  for (const char* p = line; (p = strstr(p, key)) != NULL; p += n) {
    if ((p == line || p[-1] == ' ') && p[n] == '=') {
      size_t i = 0;
      for (p += n + 1; *p && *p != ' ' && *p != '\n' && i + 1 < size; ++p) {
        out[i++] = *p == '_' ? ' ' : *p;
      }
      out[i] = '\0';
      return out;
    }
  }
  return NULL;
}

static long long Num(const char* line, const char* key, long long fallback) {
  char buf[64];
  return Field(line, key, buf, sizeof(buf)) ? atoll(buf) : fallback;
}

static void ParseDevice(const char* line, int is_mig, int parent) {
  if (g_ndev >= MAX_DEVICES) return;
  FakeDevice* d = &g_dev[g_ndev];
  DefaultDevice(d, g_ndev);
  d->is_mig = is_mig;
  d->parent = parent;
  Field(line, "uuid", d->uuid, sizeof(d->uuid));
  Field(line, "name", d->name, sizeof(d->name));
  d->memory = (unsigned long long)Num(line, "memory_mib", 81920) << 20;
  d->used = (unsigned long long)Num(line, "used_mib", is_mig ? 0 : 1024) << 20;
  char cc[16];
  if (Field(line, "cc", cc, sizeof(cc))) sscanf(cc, "%d.%d", &d->cc_major, &d->cc_minor);
  d->util = (int)Num(line, "util", 0);
  d->mem_util = (int)Num(line, "mem_util", 0);
  d->temp = (int)Num(line, "temp", 40);
  d->power_mw = (int)Num(line, "power_mw", 60000);
  d->ecc_corrected = Num(line, "ecc_corrected", 0);
  d->ecc_uncorrected = Num(line, "ecc_uncorrected", 0);
  d->mig_mode = (int)Num(line, "mig", 0);
  d->lost = (int)Num(line, "lost", 0);
  d->events = (int)Num(line, "events", 1);
  d->gi = (int)Num(line, "gi", 0);
  ++g_ndev;
}

/* The device slot of the n-th gpu line so far, or -1. */
static int GpuLine(int n) {
  for (int i = 0, seen = 0; i < g_ndev; ++i) {
    if (!g_dev[i].is_mig && seen++ == n) return i;
  }
  return -1;
}

/* Re-reads the configuration (the caller holds g_mu). */
static void Load(void) {
  const char* path = getenv("FAKE_NVML_CONFIG");
  g_nproc = 0;
  g_nxid = 0;
  if (path == NULL) {
    g_ndev = 2;
    DefaultDevice(&g_dev[0], 0);
    DefaultDevice(&g_dev[1], 1);
    return;
  }
  FILE* f = fopen(path, "r");
  if (f == NULL) return; /* keep the last state: a test may be rewriting the file */
  g_ndev = 0;
  char line[512];
  int last_gpu = -1, last_device = -1;
  while (fgets(line, sizeof(line), f) != NULL) {
    if (strncmp(line, "gpu ", 4) == 0) {
      ParseDevice(line, 0, -1);
      last_gpu = last_device = g_ndev - 1;
    } else if (strncmp(line, "mig ", 4) == 0 && last_gpu >= 0) {
      ParseDevice(line, 1, last_gpu);
      last_device = g_ndev - 1;
    } else if (strncmp(line, "proc ", 5) == 0 && last_device >= 0 && g_nproc < MAX_PROCS) {
      g_proc[g_nproc++] = (FakeProc){last_device, (unsigned)Num(line, "pid", 0),
                                     Num(line, "used_mib", 0)};
    } else if (strncmp(line, "xid ", 4) == 0 && last_gpu >= 0 && g_nxid < MAX_XIDS) {
      int gpu = GpuLine((int)Num(line, "gpu", -1));
      g_xid[g_nxid++] = (FakeXid){gpu >= 0 ? gpu : last_gpu,
                                  (unsigned long long)Num(line, "xid", 0), (int)Num(line, "gi", -1)};
    }
  }
  fclose(f);
}

static FakeDevice* Dev(void* handle) {
  FakeDevice* d = (FakeDevice*)handle;
  if (d < g_dev || d >= g_dev + g_ndev) return NULL;
  return d;
}

/* Whether the device (or the GPU of a MIG instance) is lost. */
static int Lost(const FakeDevice* d) { return d->lost || (d->is_mig && g_dev[d->parent].lost); }

/* Locks, re-reads, resolves `handle`: the NVML error to return, or 0 with *out set. */
static int Enter(void* handle, FakeDevice** out) {
  pthread_mutex_lock(&g_mu);
  Load();
  if (!g_initialized) return FG_NVML_ERROR_UNINITIALIZED;
  if (handle == NULL) return 0;
  FakeDevice* d = Dev(handle);
  if (d == NULL) return FG_NVML_ERROR_INVALID_ARGUMENT;
  if (Lost(d)) return FG_NVML_ERROR_GPU_IS_LOST;
  *out = d;
  return 0;
}
static int Leave(int rc) {
  pthread_mutex_unlock(&g_mu);
  return rc;
}
#define ENTER(handle, d)           \
  FakeDevice* d = NULL;            \
  int rc_ = Enter((handle), &(d)); \
  if (rc_ != 0) return Leave(rc_)

int nvmlInit_v2(void) {
  pthread_mutex_lock(&g_mu);
  g_initialized = 1;
  return Leave(0);
}
int nvmlShutdown(void) {
  pthread_mutex_lock(&g_mu);
  g_initialized = 0;
  return Leave(0);
}
const char* nvmlErrorString(int rc) {
  switch (rc) {
    case FG_NVML_ERROR_INVALID_ARGUMENT: return "Invalid Argument";
    case FG_NVML_ERROR_NOT_SUPPORTED: return "Not Supported";
    case FG_NVML_ERROR_GPU_IS_LOST: return "GPU is lost";
    case FG_NVML_ERROR_UNINITIALIZED: return "Uninitialized";
    default: return "Unknown Error";
  }
}

/* The index-th GPU that is not lost, or -1. */
static int GpuAt(unsigned index) {
  unsigned seen = 0;
  for (int i = 0; i < g_ndev; ++i) {
    if (g_dev[i].is_mig || g_dev[i].lost) continue;
    if (seen++ == index) return i;
  }
  return -1;
}

int nvmlDeviceGetCount_v2(unsigned* count) {
  ENTER(NULL, unused);
  (void)unused;
  unsigned n = 0;
  while (GpuAt(n) >= 0) ++n;
  *count = n;
  return Leave(0);
}
int nvmlDeviceGetHandleByIndex_v2(unsigned index, void** device) {
  ENTER(NULL, unused);
  (void)unused;
  int i = GpuAt(index);
  if (i < 0) return Leave(FG_NVML_ERROR_INVALID_ARGUMENT);
  *device = &g_dev[i];
  return Leave(0);
}
int nvmlDeviceGetIndex(void* device, unsigned* index) {
  ENTER(device, d);
  for (unsigned i = 0; GpuAt(i) >= 0; ++i) {
    if (&g_dev[GpuAt(i)] == d) return *index = i, Leave(0);
  }
  return Leave(FG_NVML_ERROR_INVALID_ARGUMENT);
}
int nvmlDeviceGetName(void* device, char* name, unsigned length) {
  ENTER(device, d);
  snprintf(name, length, "%s", d->name);
  return Leave(0);
}
int nvmlDeviceGetUUID(void* device, char* uuid, unsigned length) {
  ENTER(device, d);
  snprintf(uuid, length, "%s", d->uuid);
  return Leave(0);
}
int nvmlDeviceGetMemoryInfo(void* device, fg_nvmlMemory_t* memory) {
  ENTER(device, d);
  memory->total = d->memory;
  memory->used = d->used;
  memory->free = d->memory - d->used;
  return Leave(0);
}

#ifndef FAKE_NVML_MINIMAL
#include "fake_nvml_optional.inc"
#endif
