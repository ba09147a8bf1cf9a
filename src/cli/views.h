#pragma once
// The text views shared by `fastgpu ps`, `gpus` and `top`: the job table and the pool drawn
// as bars of slices by tenant. Pure functions of their arguments (the time is passed in);
// no I/O.

#include <cstdint>
#include <string>
#include <vector>

#include "cli/api_types.h"
#include "cli/format.h"

namespace fastgpu::cli {

// The `fastgpu ps` table: ID NAME STATE GPUS NODE AGE REASON, one row per job in the given
// order, ages measured at `now_ms`; the STATE column is colored by StateColor.
Table JobTable(const std::vector<Job>& jobs, int64_t now_ms);

// One line about the pool: "1 node, 4 GPUs (3 idle); free compute 3.75 of 4 GPUs; free
// memory 300GiB of 320GiB; 1 pending job".
std::string PoolSummaryLine(const PoolSummary& summary);

// The pool drawn device by device, for a terminal `width` columns wide (0: unknown, drawn
// as if 80). One line per device:
//   node-a/0  A100-80GB  [AAAAAaaaaa..........]  free 0.5   40GiB/80GiB
// The bar is the device's compute: each allocation takes a share of the cells in proportion
// to its milli, drawn with its tenant's letter (tenants sorted by name get A, B, C, ...);
// neighbouring jobs of one tenant alternate upper and lower case so each slice shows; '.'
// is free compute; a job that holds at least one milli gets at least one cell. A device of a
// node that is not ready is marked "(not ready)". Then one legend line per tenant:
//   A default: jobs 3 (0.25), 4 (0.25)
// With `color`, each tenant's cells get a background color (ANSI). The bar takes 5 to 40
// cells, what the width leaves; the model column is dropped when the width is short, so no
// line is wider than `width` unless node names alone leave no room. Empty pools give "no GPUs in
// the pool\n".
std::string RenderPoolBars(const Pool& pool, int width, bool color);

// A complete `fastgpu top` screen of at most `rows` lines (0: unlimited) and `columns`
// characters (0: 80): a title line (url, "q quits"), the pool summary, the pool bars, a blank
// line, then the active jobs' table, cut with "... N more jobs" when it does not fit.
std::string RenderTopFrame(const std::string& url, const Pool& pool, const std::vector<Job>& jobs,
                           int64_t now_ms, int columns, int rows, bool color);

}  // namespace fastgpu::cli
