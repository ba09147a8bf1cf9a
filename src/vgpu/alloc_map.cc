#include "vgpu/alloc_map.h"

#include <pthread.h>
#include <sys/mman.h>

namespace fastgpu::vgpu {
namespace {

struct Entry {
  uint64_t key;
  uint64_t bytes;
  int32_t device;
  uint8_t kind;  // 0: empty, 0xff: deleted
  uint8_t pad[3];
};

constexpr uint8_t kEmpty = 0;
constexpr uint8_t kDeleted = 0xff;
constexpr uint64_t kInitialCapacity = 1024;

pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
Entry* g_entries;
uint64_t g_capacity;  // a power of two
uint64_t g_used;      // live + deleted entries
uint64_t g_live;      // live entries

uint64_t Hash(uint8_t kind, uint64_t key) {
  uint64_t h = key ^ (static_cast<uint64_t>(kind) << 56);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h;
}

Entry* Allocate(uint64_t capacity) {
  void* map = mmap(nullptr, capacity * sizeof(Entry), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return map == MAP_FAILED ? nullptr : static_cast<Entry*>(map);
}

Entry* Find(uint8_t kind, uint64_t key, bool for_insert) {
  uint64_t mask = g_capacity - 1;
  Entry* tomb = nullptr;
  for (uint64_t i = Hash(kind, key) & mask;; i = (i + 1) & mask) {
    Entry* e = &g_entries[i];
    if (e->kind == kEmpty) return for_insert && tomb != nullptr ? tomb : (for_insert ? e : nullptr);
    if (e->kind == kDeleted) {
      if (tomb == nullptr) tomb = e;
    } else if (e->kind == kind && e->key == key) {
      return e;
    }
  }
}

bool Grow() {
  uint64_t old_capacity = g_capacity;
  Entry* old = g_entries;
  // Double when more than a quarter is live; otherwise rehash in place to drop tombstones.
  uint64_t capacity = old_capacity == 0                ? kInitialCapacity
                      : (g_live + 1) * 4 > old_capacity ? old_capacity * 2
                                                        : old_capacity;
  Entry* entries = Allocate(capacity);
  if (entries == nullptr) return false;
  g_entries = entries;
  g_capacity = capacity;
  g_used = 0;
  for (uint64_t i = 0; i < old_capacity; ++i) {
    if (old[i].kind == kEmpty || old[i].kind == kDeleted) continue;
    *Find(old[i].kind, old[i].key, true) = old[i];
    ++g_used;
  }
  if (old != nullptr) munmap(old, old_capacity * sizeof(Entry));
  return true;
}

}  // namespace

bool AllocMapPut(uint8_t kind, uint64_t key, int device, uint64_t bytes) {
  pthread_mutex_lock(&g_mu);
  bool ok = (g_used + 1) * 2 <= g_capacity || Grow();
  if (ok) {
    Entry* e = Find(kind, key, true);
    if (e->kind == kEmpty) ++g_used;
    if (e->kind == kEmpty || e->kind == kDeleted) ++g_live;
    *e = Entry{key, bytes, device, kind, {}};
  }
  pthread_mutex_unlock(&g_mu);
  return ok;
}

bool AllocMapTake(uint8_t kind, uint64_t key, int* device, uint64_t* bytes) {
  pthread_mutex_lock(&g_mu);
  Entry* e = g_capacity == 0 ? nullptr : Find(kind, key, false);
  if (e != nullptr) {
    *device = e->device;
    *bytes = e->bytes;
    e->kind = kDeleted;
    --g_live;
  }
  pthread_mutex_unlock(&g_mu);
  return e != nullptr;
}

}  // namespace fastgpu::vgpu
