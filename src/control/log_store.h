#pragma once
// LogStore: job logs on disk and the users who follow them.
//
// Layout: DIR/<job>/<attempt>.<stdout|stderr>. Appends follow the protocol's offset rules
// (docs/api/protocol.md, /v1/agent/logs): bytes the store already has are skipped, so resends
// are harmless; an offset past the stored size is a gap and is refused with the stored size.
//
// Followers: Follow() registers a sink for one (job, stream). Each follower receives the bytes
// from its offset in order, one chunk at a time, never concurrently with itself; after
// MarkEnded() (or EndAll()) it receives the rest and then one last call with ended=true, and is
// dropped. A sink that returns false is dropped at once.
//
// Sinks are never called with the LogStore's own mutex held. Append() calls sinks on the
// calling thread; Follow(), MarkEnded() and EndAll() only return "pumps" for the caller to run
// once it holds no lock of its own. Safe for concurrent use.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "common/result.h"
#include "control/controller.h"

namespace fastgpu::control {

class LogStore {
 public:
  using Sink = std::function<bool(std::string_view chunk, bool ended)>;
  using Pump = std::function<void()>;

  // Creates `dir` (and parents) when missing. Internal when it cannot.
  static Result<std::unique_ptr<LogStore>> Open(const std::string& dir);

  // Appends `data`, which starts at byte `offset` of the stream of this attempt, and returns
  // the stored size afterwards (also written to *size_out when not null). FailedPrecondition
  // when offset is past the stored size (the size goes to *size_out); InvalidArgument (field
  // "offset") for a negative offset; Internal when the file cannot be written. Wakes the
  // stream's followers on the calling thread.
  Result<int64_t> Append(core::JobId job, int32_t attempt, LogStream stream, int64_t offset,
                         std::string_view data, int64_t* size_out);

  // Up to max_bytes of the attempt's stream from offset; "" past the end or when nothing was
  // written. InvalidArgument (field "offset") for a negative offset.
  Result<std::string> Read(core::JobId job, int32_t attempt, LogStream stream, int64_t offset,
                           int64_t max_bytes);

  // Stored size of the attempt's stream (0 when nothing was written).
  int64_t Size(core::JobId job, int32_t attempt, LogStream stream);

  // Registers a follower of (job, stream) from `offset` of `attempt` (0: the first attempt
  // that writes). `ended`: the job has already ended. Returns the pump that sends what is
  // stored now.
  Pump Follow(core::JobId job, int32_t attempt, LogStream stream, int64_t offset, bool ended,
              Sink sink);
  // The job has ended and its logs are complete: its followers get the rest, then ended=true.
  std::vector<Pump> MarkEnded(core::JobId job);
  // Ends every follower (shutdown).
  std::vector<Pump> EndAll();

  size_t FollowerCountForTest();

 private:
  struct Follower;
  using FileKey = std::tuple<core::JobId, int32_t, int>;  // job, attempt, stream
  using StreamKey = std::pair<core::JobId, int>;          // job, stream

  explicit LogStore(std::string dir) : dir_(std::move(dir)) {}
  std::string PathOf(core::JobId job, int32_t attempt, LogStream stream) const;
  int64_t SizeLocked(core::JobId job, int32_t attempt, LogStream stream);
  void RunPump(const std::shared_ptr<Follower>& f);
  void DropLocked(const std::shared_ptr<Follower>& f);
  Pump MakePump(std::shared_ptr<Follower> f);

  const std::string dir_;
  std::mutex mu_;
  std::map<FileKey, int64_t> sizes_;  // cache of file sizes; guarded by mu_
  std::map<StreamKey, std::vector<std::shared_ptr<Follower>>> followers_;  // guarded by mu_
};

}  // namespace fastgpu::control
