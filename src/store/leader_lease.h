#pragma once
// LeaderLease: which one of several fastgpu servers sharing a PostgreSQL database leads.
//
// One row (leader_lease, schema/postgres/001_init.sql) holds the leader's id, URL, epoch and
// the instant its lease expires, by the database's clock (so the servers' clocks do not
// matter). A follower takes the lease only once it has expired, incrementing the epoch; the
// leader renews it well before it expires. The epoch is a fencing token: the leader's store
// checks it inside every write transaction (PostgresStore::SetFencingEpoch), so a leader that
// was paused past its lease and resumes cannot write a thing after a successor took over,
// even before it notices. The lease uses a connection of its own, apart from the store's.
//
// Not thread-safe: one thread (the server's election loop) calls it.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/result.h"
#include "store/postgres_conn.h"

namespace fastgpu::store {

class LeaderLease {
 public:
  // `holder`: this server's id, unique per process start; `url`: where it serves the API
  // (followers send clients there). `lease_ms`: how long a lease lasts unless renewed.
  // Unavailable when the database cannot be reached; InvalidArgument (field "store") for a
  // malformed URL.
  static Result<std::unique_ptr<LeaderLease>> Open(const postgres::ConnectOptions& options,
                                                   std::string holder, std::string url,
                                                   int64_t lease_ms);

  // Takes the lease when no live lease exists: the new epoch. nullopt when another server
  // holds a live lease. Unavailable when the database cannot be reached.
  Result<std::optional<int64_t>> TryAcquire();
  // Extends the lease taken with `epoch` by lease_ms from now. FailedPrecondition when
  // another server has taken over (the epoch moved on); Unavailable when the database cannot
  // be reached (the lease then runs out unless a later Renew succeeds in time).
  Status Renew(int64_t epoch);
  // The URL of the server holding a live lease; nullopt when none does (an election is due).
  Result<std::optional<std::string>> LeaderUrl();
  // Ends the lease taken with `epoch` now, so a follower takes over at its next look (a
  // graceful stop). OK also when it had already moved on.
  Status Release(int64_t epoch);

 private:
  LeaderLease(std::unique_ptr<postgres::Connection> conn, std::string holder, std::string url,
              int64_t lease_ms)
      : conn_(std::move(conn)), holder_(std::move(holder)), url_(std::move(url)),
        lease_ms_(lease_ms) {}

  const std::unique_ptr<postgres::Connection> conn_;
  const std::string holder_;
  const std::string url_;
  const int64_t lease_ms_;
};

}  // namespace fastgpu::store
