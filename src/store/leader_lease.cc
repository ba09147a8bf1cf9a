#include "store/leader_lease.h"

#include <mutex>
#include <utility>

namespace fastgpu::store {

using postgres::Params;
using postgres::Rows;

Result<std::unique_ptr<LeaderLease>> LeaderLease::Open(const postgres::ConnectOptions& options,
                                                       std::string holder, std::string url,
                                                       int64_t lease_ms) {
  FG_ASSIGN_OR_RETURN(std::unique_ptr<postgres::Connection> conn,
                      postgres::Connection::Open(options));
  return std::unique_ptr<LeaderLease>(
      new LeaderLease(std::move(conn), std::move(holder), std::move(url), lease_ms));
}

Result<std::optional<int64_t>> LeaderLease::TryAcquire() {
  Params p;
  p.BindText(1, holder_);
  p.BindText(2, url_);
  p.BindInt(3, lease_ms_);
  std::lock_guard<std::mutex> lock(conn_->mu());
  // One statement: of two followers that try at once, the row lock lets one win; the other
  // then sees a live lease and updates nothing.
  FG_ASSIGN_OR_RETURN(
      Rows rows,
      conn_->Exec("UPDATE leader_lease SET epoch = epoch + 1, holder = $1, url = $2, "
                  "expires_at = now() + $3 * interval '1 millisecond' "
                  "WHERE id = 1 AND expires_at < now() RETURNING epoch",
                  p));
  if (rows.size() == 0) return std::optional<int64_t>();
  return std::optional<int64_t>(rows.row(0).ColumnInt(0));
}

Status LeaderLease::Renew(int64_t epoch) {
  Params p;
  p.BindInt(1, epoch);
  p.BindInt(2, lease_ms_);
  std::lock_guard<std::mutex> lock(conn_->mu());
  FG_ASSIGN_OR_RETURN(
      Rows rows, conn_->Exec("UPDATE leader_lease SET expires_at = now() + $2 * interval "
                             "'1 millisecond' WHERE id = 1 AND epoch = $1",
                             p));
  if (rows.affected() != 1) {
    return FailedPrecondition("another server took over the leadership (epoch " +
                              std::to_string(epoch) + " is over)");
  }
  return Status::Ok();
}

Result<std::optional<std::string>> LeaderLease::LeaderUrl() {
  std::lock_guard<std::mutex> lock(conn_->mu());
  FG_ASSIGN_OR_RETURN(Rows rows,
                      conn_->Exec("SELECT url FROM leader_lease WHERE id = 1 AND "
                                  "expires_at > now() AND url <> ''"));
  if (rows.size() == 0) return std::optional<std::string>();
  return std::optional<std::string>(rows.row(0).ColumnText(0));
}

Status LeaderLease::Release(int64_t epoch) {
  Params p;
  p.BindInt(1, epoch);
  std::lock_guard<std::mutex> lock(conn_->mu());
  return conn_
      ->Exec("UPDATE leader_lease SET expires_at = '-infinity' WHERE id = 1 AND epoch = $1", p)
      .status();
}

}  // namespace fastgpu::store
