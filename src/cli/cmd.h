#pragma once
// The client commands of `fastgpu`, one function each, without the argument parsing (that is
// commands.cc). Each prints its result to stdout, errors to stderr, and returns the process
// exit status: 0 on success, 1 for a server or connection error, 2 for bad input on the
// command line (checked before contacting the server).

#include <string>

#include "cli/run_options.h"

namespace fastgpu::cli {

// Where the server is, as given by the global flags (may be empty: see config.h).
struct GlobalFlags {
  std::string url;
  std::string api_key;
};

struct RunFlags {
  RunOptions options;
  bool detach = false;   // print the job ID and return at once
  bool verbose = false;  // status lines on stderr even when it is not a terminal
};

int RunCommand(const GlobalFlags& globals, const RunFlags& flags);
int PsCommand(const GlobalFlags& globals, bool all, bool json);
int ShowCommand(const GlobalFlags& globals, const std::string& id, bool json);
int LogsCommand(const GlobalFlags& globals, const std::string& id, bool follow, bool stderr_stream);
int CancelCommand(const GlobalFlags& globals, const std::string& id);
int NodesCommand(const GlobalFlags& globals, bool json);
int GpusCommand(const GlobalFlags& globals, bool json);

}  // namespace fastgpu::cli
