#include "main/daemon_commands.h"

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "agent/agent.h"
#include "agent/runner/supervisor.h"
#include "agent/runner/supervisor_launcher.h"
#include "main/log_format.h"
#include "main/signals.h"
#include "main/up.h"
#include "server/run.h"
#include "server/server.h"

namespace fastgpu::main {
namespace {

int RunAgentDaemon(const agent::AgentOptions& options) {
  BlockShutdownSignals();
  auto handle = agent::AgentHandle::Start(options);
  if (!handle.ok()) {
    std::fprintf(stderr, "fastgpu agent: %s\n", handle.error().ToString().c_str());
    return 1;
  }
  std::printf("fastgpu agent %s: %d %s GPU(s), server %s\n", (*handle)->name().c_str(),
              (*handle)->gpu_count(), (*handle)->simulated() ? "simulated" : "NVML",
              options.server_url.c_str());
  std::fflush(stdout);
  WaitForShutdownSignal();
  (*handle)->Stop();
  return 0;
}

void AddServer(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<server::ServerOptions>();
  auto log_format = std::make_shared<std::string>("text");
  CLI::App* cmd = app.add_subcommand("server", "Run the control plane (REST API, scheduler)");
  cmd->add_option("--listen", opts->listen, "HOST:PORT to serve on (port 0: any free port)")
      ->capture_default_str();
  cmd->add_option("--data", opts->data_dir, "Folder for the database, logs and secrets")
      ->required();
  cmd->add_option("--join-token", opts->join_token, "Token agents must present (default: generated)");
  cmd->add_option("--store", opts->store,
                  "The database: a SQLite file (default: DATA/fastgpu.db) or "
                  "postgres://USER@HOST:PORT/DB (password in FASTGPU_PG_PASSWORD or PGPASSWORD); "
                  "several servers may share one PostgreSQL database: one leads, the others "
                  "redirect to it and take over when it fails");
  cmd->add_option("--advertise-url", opts->advertise_url,
                  "With PostgreSQL: the URL other servers send clients to (default: from "
                  "--listen)");
  cmd->add_option("--leader-lease-ms", opts->leader_lease_ms,
                  "With PostgreSQL: a leader that has not renewed its lease for this long is "
                  "replaced")
      ->capture_default_str();
  cmd->add_option("--policy", opts->policy,
                  "Placement policy (default: the config file's, else the best one)");
  cmd->add_option("--config", opts->config_file,
                  "Scheduler config (YAML): tenants' weights and quotas, backfill, preemption");
  cmd->add_option("--node-grace-ms", opts->node_grace_ms,
                  "Heartbeat silence after which a node is lost and its jobs move")
      ->capture_default_str();
  cmd->add_option("--heartbeat-ms", opts->heartbeat_ms, "How often agents report")
      ->capture_default_str();
  cmd->add_option("--rate-limit", opts->rate_limit_rps,
                  "Requests per second per API key (429 past it); 0: no limit")
      ->capture_default_str();
  cmd->add_option("--rate-burst", opts->rate_limit_burst, "Requests per API key at once")
      ->capture_default_str();
  cmd->add_option("--http-threads", opts->http_threads,
                  "Threads serving HTTP; 0: two per CPU core, 4 to 16")
      ->capture_default_str();
  cmd->add_option("--tls-cert", opts->tls_cert_file,
                  "Serve HTTPS with this certificate chain (PEM); needs --tls-key");
  cmd->add_option("--tls-key", opts->tls_key_file, "The certificate's private key (PEM)");
  cmd->add_option("--log-format", *log_format, "text or json (one JSON object per line)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->callback([opts, log_format, &exit_code] {
    SetLogFormat(*log_format);
    exit_code = server::RunServer(*opts);
  });
}

// Reads the join token from --join-token-file when given (a token on the command line is
// visible to every local user in /proc/PID/cmdline; main() blanks it, but a file is better).
bool LoadJoinTokenFile(const std::string& path, agent::AgentOptions& opts) {
  if (path.empty()) return true;
  std::ifstream in(path);
  std::string token;
  if (!in || !std::getline(in, token) || token.empty()) {
    std::fprintf(stderr, "fastgpu agent: --join-token-file: cannot read a token from %s\n",
                 path.c_str());
    return false;
  }
  opts.join_token = token;
  return true;
}

// "TENANT=USER" pairs of --tenant-user.
bool ParseTenantUsers(const std::vector<std::string>& pairs, agent::AgentOptions& opts) {
  for (const std::string& p : pairs) {
    size_t eq = p.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == p.size()) {
      std::fprintf(stderr, "fastgpu agent: --tenant-user %s: want TENANT=USER (a name or uid)\n",
                   p.c_str());
      return false;
    }
    opts.users.tenant_users[p.substr(0, eq)] = p.substr(eq + 1);
  }
  return true;
}

void AddAgentIsolation(CLI::App* cmd, agent::AgentOptions& o,
                       std::vector<std::string>& tenant_users) {
  cmd->add_option("--job-user", o.users.job_user,
                  "Run every job as this user (name or uid) instead of a user per tenant");
  cmd->add_option("--tenant-uids", o.users.uid_range,
                  "uid range LO-HI for the per-tenant users made on demand")
      ->capture_default_str();
  cmd->add_option("--tenant-user", tenant_users,
                  "TENANT=USER: run this tenant's jobs as an existing user (repeatable)");
  cmd->add_option("--private-tmp", o.private_tmp,
                  "Give each job its own /tmp, /dev/shm and /proc view (mount namespace)")
      ->capture_default_str();
  cmd->add_option("--device-backend", o.device_backend,
                  "How GPU device files are restricted: auto, cgroup-v1-devices, bpf, none")
      ->check(CLI::IsMember({"auto", "cgroup-v1-devices", "bpf", "none"}))
      ->capture_default_str();
  cmd->add_option("--device-dir", o.device_dir, "")->group("");  // test-only: fake /dev
  cmd->add_option("--checkpoint-root", o.checkpoint_root,
                  "Parent of FASTGPU_CHECKPOINT_DIR (default DATA/checkpoints; shared storage "
                  "lets a retried job resume on another node)");
  cmd->add_option("--log-max-bytes", o.log_max_bytes,
                  "Bytes of each output stream of an attempt kept on the node (0: no cap)")
      ->capture_default_str();
}

void AddAgentHealth(CLI::App* cmd, agent::AgentOptions& o) {
  cmd->add_option("--health-check", o.health_check_command,
                  "Command (sh -c) run periodically; while it fails the node takes no new work");
  cmd->add_option("--health-check-interval-ms", o.health_check_interval_ms)->capture_default_str();
  cmd->add_option("--health-check-timeout-ms", o.health_check_timeout_ms)->capture_default_str();
}

void AddAgent(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<agent::AgentOptions>();
  auto token_file = std::make_shared<std::string>();
  auto tenant_users = std::make_shared<std::vector<std::string>>();
  auto log_format = std::make_shared<std::string>("text");
  CLI::App* cmd = app.add_subcommand("agent", "Run the node agent of this GPU server");
  cmd->add_option("--server", opts->server_url, "URL of the fastgpu server")->required();
  cmd->add_option("--ca-file", opts->ca_file,
                  "Trust an https server whose certificate chains to this CA file (PEM)");
  cmd->add_option("--data", opts->data_dir, "Folder for the jobs' files on this node")
      ->required();
  cmd->add_option("--name", opts->name, "Node name (default: host name)");
  cmd->add_option("--address", opts->address,
                  "Address other nodes reach this one at: MASTER_ADDR of multi-node jobs "
                  "(default: the node name)");
  cmd->add_option("--simulate", opts->simulate,
                  "Simulated GPUs instead of NVML, e.g. 4xA100-80GB or 2xH100-80GB,1xT4-16GB");
  cmd->add_option("--join-token", opts->join_token, "The server's join token")
      ->envname("FASTGPU_JOIN_TOKEN");
  cmd->add_option("--join-token-file", *token_file, "Read the join token from this file");
  cmd->add_option("--kill-grace-ms", opts->kill_grace_ms, "SIGTERM to SIGKILL delay")
      ->capture_default_str();
  cmd->add_option("--supervisor-launcher", opts->supervisor_launcher,
                  "Fork each job's supervisor from one resident process (false: exec each)")
      ->capture_default_str();
  cmd->add_option("--vgpu-library", opts->vgpu_library,
                  "libfastgpu-vgpu.so preloaded into fractional jobs (default: next to this binary)");
  cmd->add_option("--nvml-library", opts->nvml_library, "The NVML library dlopen loads")
      ->capture_default_str();
  cmd->add_option("--mps-pipe-dir", opts->mps_pipe_dir,
                  "MPS control daemon's pipe folder (default: $CUDA_MPS_PIPE_DIRECTORY, else "
                  "/tmp/nvidia-mps); fractional jobs get MPS limits when a daemon runs there");
  cmd->add_option("--gpu-sample-ms", opts->gpu_sample_ms, "GPU telemetry sampling period")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{50}, int64_t{3600000}));
  cmd->add_option("--gpu-max-uncorrected-ecc", opts->gpu_max_uncorrected_ecc,
                  "A device with more volatile uncorrected ECC errors is unhealthy")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  AddAgentIsolation(cmd, *opts, *tenant_users);
  AddAgentHealth(cmd, *opts);
  cmd->add_option("--log-format", *log_format, "text or json (one JSON object per line)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->callback([opts, token_file, tenant_users, log_format, &exit_code] {
    SetLogFormat(*log_format);
    if (!LoadJoinTokenFile(*token_file, *opts) || !ParseTenantUsers(*tenant_users, *opts)) {
      exit_code = 2;
      return;
    }
    exit_code = RunAgentDaemon(*opts);
  });
}

void AddUp(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<UpOptions>();
  CLI::App* cmd = app.add_subcommand("up", "Run a one-node pool: server and agent in one process");
  cmd->add_option("--listen", opts->listen, "HOST:PORT to serve on")->capture_default_str();
  cmd->add_option("--data", opts->data_dir, "Data folder (default: ~/.local/share/fastgpu)");
  cmd->add_option("--simulate", opts->simulate,
                  "Simulated GPUs, e.g. 4xA100-80GB (default: real GPUs, else 4 simulated)");
  cmd->callback([opts, &exit_code] { exit_code = RunUp(*opts); });
}

void AddSupervise(CLI::App& app, int& exit_code) {
  auto dir = std::make_shared<std::string>();
  auto launcher = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("supervise", "");  // hidden: started by the agent
  cmd->group("");
  cmd->add_option("dir", *dir, "Attempt folder");
  cmd->add_flag(agent::kLauncherFlag, *launcher, "Fork supervisors on request (the agent's)");
  cmd->callback([dir, launcher, &exit_code] {
    if (*launcher != dir->empty()) {  // exactly one of the two
      std::fprintf(stderr, "fastgpu supervise: give an attempt folder or --launcher\n");
      exit_code = 2;
      return;
    }
    exit_code = *launcher ? agent::RunLauncher() : agent::RunSupervisor(*dir);
  });
}

}  // namespace

void RegisterDaemonCommands(CLI::App& app, int& exit_code) {
  AddServer(app, exit_code);
  AddAgent(app, exit_code);
  AddUp(app, exit_code);
  AddSupervise(app, exit_code);
}

}  // namespace fastgpu::main
