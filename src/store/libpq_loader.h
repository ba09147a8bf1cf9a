#pragma once
// libpq, loaded on first use with dlopen instead of linked. Linked, it is loaded into every
// `fastgpu` process (the CLI, the agent, a server on SQLite) together with the ~20 libraries it
// pulls in (GnuTLS, Kerberos, LDAP, SASL and theirs), whose loading, relocation and
// constructors cost about 2 ms of CPU at every start (docs/performance.md, "Control plane");
// only a server with a postgres:// store needs it. libpq-fe.h stays in the postgres_*.cc files.
//
// Thread-safe: the library is loaded once; the table never changes afterwards.

#include "common/status.h"

namespace fastgpu::store::postgres {

struct LibPq;  // the function table; defined in libpq_loader_table.h

// Loads libpq (libpq.so.5) once; OK when it is loaded, else Unavailable naming the library
// and dlerror's reason (Debian package libpq5). Cheap after the first call.
Status LoadLibPq();

// The table. LoadLibPq() must have returned OK (checked).
const LibPq& Pq();

}  // namespace fastgpu::store::postgres
