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
  std::string ca_file;  // --ca-file: trust an https server signed by this CA (PEM)
};

struct RunFlags {
  RunOptions options;
  bool detach = false;   // print the job ID and return at once
  bool verbose = false;  // status lines on stderr even when it is not a terminal
};

struct SubmitFlags {
  std::string file;    // -f: a YAML job spec (job_spec.h); empty: the flags alone
  RunOptions options;  // flags of `run`, put over the file's values
  bool json = false;   // print the job object instead of its ID
};

struct TopFlags {
  double interval_s = 2;  // between refreshes
  bool once = false;      // print one frame and exit (also when stdout is not a terminal)
};

struct PollFlags {
  std::string dir;
  std::string gpus = "1";       // per script, unless its `# fastgpu:` header says otherwise
  int max_running = 0;          // scripts of this poller submitted and not ended; 0: no limit
  double interval_s = 1;        // between scans of the folder
  bool exit_when_done = false;  // exit once to_run is empty and nothing of ours runs
};

int RunCommand(const GlobalFlags& globals, const RunFlags& flags);
int SubmitCommand(const GlobalFlags& globals, const SubmitFlags& flags);
int WhyCommand(const GlobalFlags& globals, const std::string& id, bool json);
int TopCommand(const GlobalFlags& globals, const TopFlags& flags);
int PollCommand(const GlobalFlags& globals, const PollFlags& flags);
int PsCommand(const GlobalFlags& globals, bool all, bool json);
int ShowCommand(const GlobalFlags& globals, const std::string& id, bool json);
int LogsCommand(const GlobalFlags& globals, const std::string& id, bool follow, bool stderr_stream);
int CancelCommand(const GlobalFlags& globals, const std::string& id);
int NodesCommand(const GlobalFlags& globals, bool json);
int GpusCommand(const GlobalFlags& globals, bool json);

}  // namespace fastgpu::cli
