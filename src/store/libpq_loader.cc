#include "store/libpq_loader.h"

#include <dlfcn.h>

#include <mutex>
#include <string>

#include "common/check.h"
#include "store/libpq_loader_table.h"

namespace fastgpu::store::postgres {
namespace {

constexpr char kLibrary[] = "libpq.so.5";

struct Loaded {
  LibPq table;
  Status status;
};

Loaded Load() {
  Loaded out;
  // Never closed: connections may live until exit.
  void* handle = dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    out.status =
        Unavailable(std::string("cannot load ") + kLibrary + " for the PostgreSQL store: " +
                    (why != nullptr ? why : "unknown error") + " (Debian package libpq5)");
    return out;
  }
  std::string missing;
#define FG_LIBPQ_RESOLVE(name)                                                \
  out.table.name = reinterpret_cast<decltype(&::name)>(dlsym(handle, #name)); \
  if (out.table.name == nullptr) missing += (missing.empty() ? "" : ", ") + std::string(#name);
  FG_LIBPQ_FUNCTIONS(FG_LIBPQ_RESOLVE)
#undef FG_LIBPQ_RESOLVE
  if (!missing.empty()) {
    out.status = Unavailable(std::string(kLibrary) + " lacks " + missing);
  }
  return out;
}

const Loaded& Once() {
  static const Loaded loaded = Load();  // thread-safe static initialisation
  return loaded;
}

}  // namespace

Status LoadLibPq() { return Once().status; }

const LibPq& Pq() {
  const Loaded& loaded = Once();
  FG_CHECK(loaded.status.ok());  // callers hold a connection, which needed LoadLibPq()
  return loaded.table;
}

}  // namespace fastgpu::store::postgres
