#pragma once
// `fastgpu sim ...`: the trace simulator's command line. `sim fill` runs the FGD paper's fill
// experiment (sim/fill.h) for one or more policies and seeds and writes DIR/alloc.csv,
// DIR/summary.csv and DIR/alloc.svg, printing a table of medians. `sim replay` runs the
// trace's arrivals and departures in time through the full queue (sim/replay.h) and prints
// utilization, queueing delays and per-tenant shares (DIR/replay.csv, DIR/tenants.csv).

#include <CLI/CLI.hpp>

namespace fastgpu::sim {

// Adds the `sim` subcommand to `app`; its callback sets `exit_code` (0 ok, 1 error).
void RegisterSimCommand(CLI::App& app, int& exit_code);

}  // namespace fastgpu::sim
