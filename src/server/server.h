#pragma once
// The control-plane daemon: HTTP API (RESTinio) over a Controller on a SqliteStore or a
// PostgresStore, with /metrics, per-key rate limits and a graceful stop.

#include <memory>
#include <string>

#include "common/result.h"

namespace fastgpu::server {

struct ServerOptions {
  std::string listen = "127.0.0.1:8080";  // HOST:PORT; port 0 picks a free port
  std::string data_dir;                   // database, logs, admin-key, join-token, server-url
  std::string join_token;                 // empty: DATA/join-token (created on first start)
  // The database: "" for DATA/fastgpu.db, else a SQLite file path or a postgres:// URL (the
  // password from FASTGPU_PG_PASSWORD, else libpq's PGPASSWORD / ~/.pgpass).
  std::string store;
  // With a postgres:// store several servers share the database and one leads
  // (server/leadership.h). The URL followers send clients to ("": this server's own, from
  // --listen), and how long a leader's lease lasts without renewal.
  std::string advertise_url;
  int64_t leader_lease_ms = 2000;
  std::string policy;                     // placement policy; "": the config's, else the default
  std::string config_file;                // scheduler config (YAML, see scheduler_config.h)
  int64_t node_grace_ms = 10000;
  int64_t heartbeat_ms = 2000;            // told to agents
  // 0: two per CPU core, 4 to 16. On this 2-core machine, quiet, 2 threads gave the most durable
  // submits (19.9k/s) but too few GETs (39.2k/s), 3 and 4 both targets (4: 45.2k GET/s, 18.0k
  // submits/s; docs/performance.md "Control plane").
  int http_threads = 0;
  double rate_limit_rps = 2000;           // per API key; 0: no limit
  double rate_limit_burst = 4000;
  std::string tls_cert_file;              // both set: HTTPS (the URL is https://)
  std::string tls_key_file;
};

// The exit status of a leader that lost its lease (it was paused, or cut off from the database,
// and a follower took over): a supervisor should start it again; it comes back as a follower.
inline constexpr int kExitLostLeadership = 75;

// A running server inside this process. Stop() (or the destructor) shuts it down gracefully.
class ServerHandle {
 public:
  // Opens the store, starts the HTTP listener and the ticker thread. Writes DATA/admin-key and
  // DATA/join-token (0600) on first start and DATA/server-url on every start. With a
  // postgres:// store it starts as a follower (redirects only) and leads once elected; a
  // leader that loses its lease exits the process with kExitLostLeadership.
  // InvalidArgument (field "listen") for a bad address, or naming the key of a bad config
  // file; NotFound for an unreadable config file; Unavailable when the port is taken.
  static Result<std::unique_ptr<ServerHandle>> Start(const ServerOptions& options);
  virtual ~ServerHandle() = default;
  virtual std::string url() const = 0;          // "http://127.0.0.1:PORT"
  virtual std::string join_token() const = 0;
  virtual std::string admin_key_path() const = 0;
  // Graceful: stops accepting connections, refuses new changes (503), lets the answers in
  // flight be written, commits everything accepted, then stops. Idempotent.
  virtual void Stop() = 0;
};

}  // namespace fastgpu::server
