// The job's private folders (see job_dirs.h).
#include "agent/runner/job_dirs.h"

#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace fastgpu::agent {
namespace {

std::string ErrnoText(int err) { return std::strerror(err); }

Status MakeOwned(const std::string& path, const LaunchSpec& spec) {
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    return Internal("mkdir '" + path + "': " + ErrnoText(errno));
  }
  if (::chmod(path.c_str(), 0700) != 0)
    return Internal("chmod '" + path + "': " + ErrnoText(errno));
  if (spec.uid >= 0 && ::chown(path.c_str(), static_cast<uid_t>(spec.uid),
                               static_cast<gid_t>(spec.gid >= 0 ? spec.gid : spec.uid)) != 0) {
    return Internal("chown '" + path + "': " + ErrnoText(errno));
  }
  return Status::Ok();
}

// mkdir -p of the parents of `path` with mode 0711 (enter, but not list).
Status MakeParents(const std::string& path) {
  for (size_t pos = 1; pos < path.size(); ++pos) {
    if (path[pos] != '/') continue;
    std::string prefix = path.substr(0, pos);
    if (::mkdir(prefix.c_str(), 0711) != 0 && errno != EEXIST) {
      return Internal("mkdir '" + prefix + "': " + ErrnoText(errno));
    }
  }
  return Status::Ok();
}

// Removes what is inside `dir`; true when it is empty afterwards.
bool RemoveContents(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::error_code ignored;
    std::filesystem::remove_all(entry.path(), ignored);  // never follows symlinks
  }
  return std::filesystem::is_empty(dir, ec) && !ec;
}

}  // namespace

Status MakeJobDirs(const LaunchSpec& spec) {
  if (!spec.job_dir.empty()) {
    for (const std::string& dir : {spec.job_dir, spec.job_dir + "/work", spec.job_dir + "/tmp"}) {
      FG_RETURN_IF_ERROR(MakeOwned(dir, spec));
    }
  }
  if (!spec.checkpoint_dir.empty()) {
    struct stat st;
    if (::stat(spec.checkpoint_dir.c_str(), &st) != 0) {
      FG_RETURN_IF_ERROR(MakeParents(spec.checkpoint_dir));
      FG_RETURN_IF_ERROR(MakeOwned(spec.checkpoint_dir, spec));
    }
  }
  return Status::Ok();
}

Status RemoveJobDir(const LaunchSpec& spec) {
  if (spec.job_dir.empty()) return Status::Ok();
  struct stat st;
  if (::lstat(spec.job_dir.c_str(), &st) != 0) return Status::Ok();
  bool empty = false;
  if (spec.uid < 0) {
    empty = RemoveContents(spec.job_dir);
  } else {
    pid_t pid = ::fork();
    if (pid == 0) {
      gid_t gid = static_cast<gid_t>(spec.gid >= 0 ? spec.gid : spec.uid);
      uid_t uid = static_cast<uid_t>(spec.uid);
      if (::setgroups(0, nullptr) != 0 || ::setresgid(gid, gid, gid) != 0 ||
          ::setresuid(uid, uid, uid) != 0) {
        ::_exit(2);
      }
      ::_exit(RemoveContents(spec.job_dir) ? 0 : 1);
    }
    int status = 0;
    if (pid < 0) return Internal("fork: " + ErrnoText(errno));
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    empty = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  if (!empty || ::rmdir(spec.job_dir.c_str()) != 0) {
    return Internal("could not remove all of '" + spec.job_dir + "'");
  }
  return Status::Ok();
}

}  // namespace fastgpu::agent
