#include "agent/log_shipper.h"

#include <spdlog/spdlog.h>

#include <charconv>

#include "agent/runner/log_files.h"

namespace fastgpu::agent {
namespace {

std::string DeltaPath(const std::string& dir, const std::string& stream) {
  return dir + "/" + stream + ".log.shipped-delta";
}

// The persisted delta, or nullopt when none was ever written (no bytes were lost).
std::optional<int64_t> LoadDelta(const std::string& dir, const std::string& stream) {
  auto text = ReadWholeFile(DeltaPath(dir, stream));
  if (!text.ok()) return std::nullopt;
  int64_t v = 0;
  std::from_chars(text->data(), text->data() + text->size(), v);
  return v;
}

bool GivesUp(StatusCode code) {
  return code == StatusCode::kInvalidArgument || code == StatusCode::kFailedPrecondition ||
         code == StatusCode::kPermissionDenied || code == StatusCode::kResourceExhausted;
}

}  // namespace

Result<bool> LogShipper::Ship(ServerClient& client, const std::string& node,
                              const AttemptStatus& attempt) {
  auto& cursors = cursors_[attempt.key];
  FG_ASSIGN_OR_RETURN(bool out_done,
                      ShipStream(client, node, attempt.key, "stdout", attempt.dir, cursors[0]));
  FG_ASSIGN_OR_RETURN(bool err_done,
                      ShipStream(client, node, attempt.key, "stderr", attempt.dir, cursors[1]));
  return out_done && err_done;
}

Status LogShipper::ShipLoss(ServerClient& client, const std::string& node, const AttemptKey& key,
                            const std::string& stream, const std::string& dir, int64_t lost,
                            int64_t first, Cursor& cursor) {
  std::string notice = "\n[fastgpu: " + std::to_string(lost) + " bytes of " + stream +
                       " were lost: the node keeps only its newest bytes (log cap) and the "
                       "server was unreachable]\n";
  int64_t at = cursor.offset + cursor.delta;
  FG_ASSIGN_OR_RETURN(LogAck ack, client.PostLogs(node, key, stream, at, notice));
  if (ack.size != at + static_cast<int64_t>(notice.size())) {  // the server moved: follow it
    cursor.offset = ack.size - cursor.delta;
    return Status::Ok();
  }
  cursor.delta = ack.size - first;
  cursor.offset = first;
  spdlog::warn("attempt {}: {} bytes of {} were rotated away before they were shipped",
               key.ToString(), lost, stream);
  return WriteFileAtomic(DeltaPath(dir, stream), std::to_string(cursor.delta) + "\n");
}

Result<bool> LogShipper::ShipStream(ServerClient& client, const std::string& node,
                                    const AttemptKey& key, const std::string& stream,
                                    const std::string& dir, Cursor& cursor) {
  if (cursor.abandoned) return true;
  for (int i = 0; i < max_chunks_; ++i) {
    Status sent = Status::Ok();
    if (!cursor.synced) {  // where is the server? an empty append answers its size
      Result<LogAck> ack = client.PostLogs(node, key, stream, 0, "");
      if (ack.ok()) {
        cursor.offset = ack->size - cursor.delta;
        cursor.synced = true;
        continue;
      }
      sent = ack.error();
    } else {
      FG_ASSIGN_OR_RETURN(LogRead read, ReadLog(dir, stream, cursor.offset, max_chunk_));
      if (!cursor.loaded) {
        cursor.loaded = true;
        // A delta is written only after bytes were rotated away: no rotation, no file to read.
        auto delta = read.rotated ? LoadDelta(dir, stream) : std::nullopt;
        if (delta) {
          cursor.delta = *delta;
          cursor.synced = false;
          continue;
        }
      }
      if (read.lost > 0) {
        sent = ShipLoss(client, node, key, stream, dir, read.lost, read.first, cursor);
      } else if (read.bytes.empty()) {
        return cursor.offset >= read.end;
      } else {
        Result<LogAck> ack =
            client.PostLogs(node, key, stream, cursor.offset + cursor.delta, read.bytes);
        // The server's size is the truth: after a gap (409) or an overlap it says where to go on.
        if (ack.ok()) cursor.offset = ack->size - cursor.delta;
        if (!ack.ok()) sent = ack.error();
      }
    }
    if (sent.ok()) continue;
    if (GivesUp(sent.code())) {
      spdlog::warn("attempt {}: giving up shipping {}: {}", key.ToString(), stream, sent.ToString());
      cursor.abandoned = true;
      return true;
    }
    return sent;
  }
  FG_ASSIGN_OR_RETURN(LogRead now, ReadLog(dir, stream, cursor.offset, 0));
  return cursor.offset >= now.end;
}

}  // namespace fastgpu::agent
