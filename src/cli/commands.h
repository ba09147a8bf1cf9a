#pragma once
// The client commands of the `fastgpu` binary: run, ps, show, logs, cancel, nodes, gpus.
// They talk to a fastgpu server over its HTTP API only (docs/api/protocol.md).

#include <CLI/CLI.hpp>

namespace fastgpu::cli {

// Adds run, ps, show, logs, cancel, nodes, gpus, and the global options --url / --api-key,
// to `app`. When one of the commands runs, its exit status is stored in `exit_code`, which
// must outlive `app`'s parse: 0 success, 1 server or connection error, 2 bad arguments;
// `run` (attached) stores the job's own exit status. CLI11's own parse errors are left to
// the caller's app.exit().
void RegisterClientCommands(CLI::App& app, int& exit_code);

}  // namespace fastgpu::cli
