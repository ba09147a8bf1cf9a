#include "agent/runner/attempt_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>

namespace fastgpu::agent {
namespace {

using nlohmann::json;

std::string ErrnoText(int err) { return std::strerror(err); }

std::optional<int32_t> OptInt(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  return it->get<int32_t>();
}

}  // namespace

std::string EncodeLaunchSpec(const LaunchSpec& spec) {
  json j = {{"argv", spec.argv},
            {"env", spec.env},
            {"workdir", spec.workdir},
            {"cgroup", spec.cgroup},
            {"cpu_milli", spec.cpu_milli},
            {"memory_mib", spec.memory_mib},
            {"deny_devices", spec.deny_devices},
            {"device_backend", spec.device_backend},
            {"uid", spec.uid},
            {"gid", spec.gid},
            {"job_dir", spec.job_dir},
            {"keep_job_dir", spec.keep_job_dir},
            {"spare_dir", spec.spare_dir},
            {"checkpoint_dir", spec.checkpoint_dir},
            {"private_tmp", spec.private_tmp},
            {"visible_paths", spec.visible_paths},
            {"cover_dir", spec.cover_dir},
            {"time_limit_ms", spec.time_limit_ms},
            {"stop_signal", spec.stop_signal},
            {"kill_grace_ms", spec.kill_grace_ms},
            {"log_max_bytes", spec.log_max_bytes}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<LaunchSpec> DecodeLaunchSpec(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument("not a JSON object", "spec.json");
  LaunchSpec spec;
  try {
    spec.argv = j.at("argv").get<std::vector<std::string>>();
    spec.env = j.value("env", json::object()).get<std::map<std::string, std::string>>();
    spec.workdir = j.value("workdir", "");
    spec.cgroup = j.value("cgroup", "");
    spec.cpu_milli = j.value("cpu_milli", int32_t{0});
    spec.memory_mib = j.value("memory_mib", int64_t{0});
    spec.deny_devices = j.value("deny_devices", std::vector<std::string>{});
    spec.device_backend = j.value("device_backend", "auto");
    spec.uid = j.value("uid", int64_t{-1});
    spec.gid = j.value("gid", int64_t{-1});
    spec.job_dir = j.value("job_dir", "");
    spec.keep_job_dir = j.value("keep_job_dir", false);
    spec.spare_dir = j.value("spare_dir", "");
    spec.checkpoint_dir = j.value("checkpoint_dir", "");
    spec.private_tmp = j.value("private_tmp", false);
    spec.visible_paths = j.value("visible_paths", std::vector<std::string>{});
    spec.cover_dir = j.value("cover_dir", "");
    spec.time_limit_ms = j.value("time_limit_ms", int64_t{0});
    spec.stop_signal = j.value("stop_signal", int32_t{15});
    spec.kill_grace_ms = j.value("kill_grace_ms", int64_t{10000});
    spec.log_max_bytes = j.value("log_max_bytes", int64_t{0});
  } catch (const json::exception& e) {
    return InvalidArgument(std::string("bad spec: ") + e.what(), "spec.json");
  }
  if (spec.argv.empty()) return InvalidArgument("argv is empty", "spec.json");
  return spec;
}

std::string EncodeExitRecord(const ExitRecord& r) {
  json j = {{"exit_code", nullptr},
            {"signal", nullptr},
            {"started_ms", r.started_ms},
            {"finished_ms", r.finished_ms},
            {"error", r.error},
            {"oom_killed", r.oom_killed},
            {"timed_out", r.timed_out},
            {"warning", r.warning}};
  if (r.exit_code) j["exit_code"] = *r.exit_code;
  if (r.signal) j["signal"] = *r.signal;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<ExitRecord> DecodeExitRecord(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument("not a JSON object", "exit.json");
  ExitRecord r;
  try {
    r.exit_code = OptInt(j, "exit_code");
    r.signal = OptInt(j, "signal");
    r.started_ms = j.value("started_ms", int64_t{0});
    r.finished_ms = j.value("finished_ms", int64_t{0});
    r.error = j.value("error", "");
    r.oom_killed = j.value("oom_killed", false);
    r.timed_out = j.value("timed_out", false);
    r.warning = j.value("warning", "");
  } catch (const json::exception& e) {
    return InvalidArgument(std::string("bad exit record: ") + e.what(), "exit.json");
  }
  return r;
}

Status WriteFileAtomic(const std::string& path, std::string_view content, int mode,
                       Durability durability) {
  const bool durable = durability == Durability::kDurable;
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Internal("open '" + tmp + "': " + ErrnoText(errno));
  ::fchmod(fd, static_cast<mode_t>(mode));  // a leftover .tmp keeps its old mode otherwise
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return Internal("write '" + tmp + "': " + ErrnoText(err));
    }
    done += static_cast<size_t>(n);
  }
  if (durable && ::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    return Internal("fsync '" + tmp + "': " + ErrnoText(err));
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return Internal("rename '" + tmp + "': " + ErrnoText(errno));
  }
  if (!durable) return Status::Ok();
  std::string folder = path.substr(0, path.find_last_of('/') + 1);
  if (folder.empty()) folder = ".";
  int dfd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::Ok();
}

Result<std::string> ReadWholeFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) return NotFound("no file '" + path + "'");
    return Internal("open '" + path + "': " + ErrnoText(err));
  }
  std::string out;
  char buf[4096];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return Internal("read '" + path + "': " + ErrnoText(err));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace fastgpu::agent
