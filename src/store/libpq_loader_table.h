#pragma once
// The libpq functions fastgpu calls, as pointers filled in by LoadLibPq() (libpq_loader.h).
// Include only where libpq-fe.h is included (the postgres_*.cc files). To call another libpq
// function, add it to FG_LIBPQ_FUNCTIONS.

#include <libpq-fe.h>

// clang-format off
#define FG_LIBPQ_FUNCTIONS(X)                                                                  \
  X(PQclear) X(PQcmdTuples) X(PQconnectdbParams) X(PQconninfoFree) X(PQconninfoParse)        \
  X(PQdb) X(PQerrorMessage) X(PQexec) X(PQexecParams) X(PQexecPrepared) X(PQfinish)          \
  X(PQfreemem) X(PQgetisnull) X(PQgetlength) X(PQgetvalue) X(PQhost) X(PQntuples) X(PQport)  \
  X(PQprepare) X(PQresultErrorField) X(PQresultErrorMessage) X(PQresultStatus) X(PQstatus)
// clang-format on

namespace fastgpu::store::postgres {

struct LibPq {
#define FG_LIBPQ_MEMBER(name) decltype(&::name) name = nullptr;
  FG_LIBPQ_FUNCTIONS(FG_LIBPQ_MEMBER)
#undef FG_LIBPQ_MEMBER
};

}  // namespace fastgpu::store::postgres
