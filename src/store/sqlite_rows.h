#pragma once
// Rows of the SQLite schema <-> store records: the shared row code of store/rows.h, used on
// sqlite::ScopedStatement (which is both a Row and a Params there).

#include "store/rows.h"
#include "store/sqlite_util.h"

namespace fastgpu::store::sqlite {

using rows::BindAudit;
using rows::BindEvent;
using rows::BindJob;
using rows::BindNode;
using rows::EventFromRow;
using rows::IdempotencyFromRow;
using rows::JobFromRow;
using rows::kEventColumns;
using rows::kIdempotencyColumns;
using rows::kInsertAuditSql;
using rows::kInsertEventSql;
using rows::kJobColumns;
using rows::kNodeColumns;
using rows::kUpsertJobSql;
using rows::kUpsertNodeSql;
using rows::NodeFromRow;

}  // namespace fastgpu::store::sqlite
