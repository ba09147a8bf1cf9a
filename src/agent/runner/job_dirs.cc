// The job's private folders (see job_dirs.h).
#include "agent/runner/job_dirs.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <vector>

namespace fastgpu::agent {
namespace {

std::string ErrnoText(int err) { return std::strerror(err); }

constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

// mkdir (an existing folder is fine), then mode 0700 and the job's owner through a descriptor
// opened without following a symlink: a reused folder is never a way to re-own another path.
Status MakeOwned(const std::string& path, const LaunchSpec& spec) {
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    return Internal("mkdir '" + path + "': " + ErrnoText(errno));
  }
  int fd = ::open(path.c_str(), kDirFlags);
  if (fd < 0) return Internal("open '" + path + "': " + ErrnoText(errno));
  Status st = Status::Ok();
  if (::fchmod(fd, 0700) != 0) {
    st = Internal("chmod '" + path + "': " + ErrnoText(errno));
  } else if (spec.uid >= 0 &&
             ::fchown(fd, static_cast<uid_t>(spec.uid),
                      static_cast<gid_t>(spec.gid >= 0 ? spec.gid : spec.uid)) != 0) {
    st = Internal("chown '" + path + "': " + ErrnoText(errno));
  }
  ::close(fd);
  return st;
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

// Removes what is inside `dir` but its real (not symlinked) folders work/ and tmp/, which are
// only emptied; true when only those two, empty, are left.
bool EmptyToSkeleton(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::error_code ignored;
    const std::string name = entry.path().filename().string();
    if ((name == "work" || name == "tmp") && entry.is_directory(ignored) &&
        !entry.is_symlink(ignored)) {
      RemoveContents(entry.path().string());
    } else {
      std::filesystem::remove_all(entry.path(), ignored);
    }
  }
  return !ec;
}

// The names in the folder open at `fd` (which this closes), without "." and "..".
std::optional<std::vector<std::string>> ListAndClose(int fd) {
  DIR* d = fd >= 0 ? ::fdopendir(fd) : nullptr;
  if (d == nullptr) {
    if (fd >= 0) ::close(fd);
    return std::nullopt;
  }
  std::vector<std::string> names;
  while (struct dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
      names.emplace_back(e->d_name);
    }
  }
  ::closedir(d);
  return names;
}

// Whether job_dir is a real folder holding exactly work/ and tmp/, both real and empty.
bool IsBareSkeleton(const std::string& job_dir) {
  int fd = ::open(job_dir.c_str(), kDirFlags);
  if (fd < 0) return false;
  auto names = ListAndClose(::dup(fd));
  bool bare = names.has_value() && names->size() == 2;
  if (bare) {
    std::sort(names->begin(), names->end());
    bare = (*names)[0] == "tmp" && (*names)[1] == "work";
  }
  for (const char* sub : {"work", "tmp"}) {
    if (!bare) break;
    auto inside = ListAndClose(::openat(fd, sub, kDirFlags));
    bare = inside.has_value() && inside->empty();
  }
  ::close(fd);
  return bare;
}

// Where this job's user keeps its spare folders.
std::string PoolDir(const LaunchSpec& spec) {
  return spec.spare_dir + "/" + std::to_string(spec.uid) + "." + std::to_string(spec.gid);
}

// Moves a spare folder of the job's user to job_dir; false when there is none (or job_dir
// exists already).
bool TakeSpare(const LaunchSpec& spec) {
  DIR* d = ::opendir(PoolDir(spec).c_str());
  if (d == nullptr) return false;
  bool taken = false;
  while (!taken) {
    struct dirent* e = ::readdir(d);
    if (e == nullptr) break;
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    std::string from = PoolDir(spec) + "/" + e->d_name;
    // Renaming onto an existing (empty) job_dir would replace it: only onto a missing one.
    if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, spec.job_dir.c_str(), RENAME_NOREPLACE) ==
        0) {
      taken = true;
    } else if (errno != ENOENT) {  // ENOENT: another supervisor took that one first
      break;
    }
  }
  ::closedir(d);
  return taken;
}

// Moves the emptied job_dir to the spare folders; false when it cannot (it is then left as is).
bool GiveSpare(const LaunchSpec& spec) {
  for (const std::string& dir : {spec.spare_dir, PoolDir(spec)}) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return false;
  }
  std::string to = PoolDir(spec) + "/" + std::to_string(::getpid());
  return ::renameat2(AT_FDCWD, spec.job_dir.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0;
}

// Runs `empty` on job_dir as the job's user (in a child process when that is not us); true
// when it says the folder is as wanted afterwards.
template <typename Fn>
Result<bool> AsJobUser(const LaunchSpec& spec, Fn empty) {
  if (spec.uid < 0) return empty(spec.job_dir);
  pid_t pid = ::fork();
  if (pid == 0) {
    gid_t gid = static_cast<gid_t>(spec.gid >= 0 ? spec.gid : spec.uid);
    uid_t uid = static_cast<uid_t>(spec.uid);
    if (::setgroups(0, nullptr) != 0 || ::setresgid(gid, gid, gid) != 0 ||
        ::setresuid(uid, uid, uid) != 0) {
      ::_exit(2);
    }
    ::_exit(empty(spec.job_dir) ? 0 : 1);
  }
  int status = 0;
  if (pid < 0) return Internal("fork: " + ErrnoText(errno));
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

Status MakeJobDirs(const LaunchSpec& spec) {
  if (!spec.job_dir.empty()) {
    // A spare that is not bare (nothing should have touched it) is deleted like a used one.
    if (!spec.spare_dir.empty() && TakeSpare(spec) && !IsBareSkeleton(spec.job_dir)) {
      FG_RETURN_IF_ERROR(RemoveJobDir(spec));
    }
    for (const std::string& dir : {spec.job_dir, spec.job_dir + "/work", spec.job_dir + "/tmp"}) {
      FG_RETURN_IF_ERROR(MakeOwned(dir, spec));
    }
  }
  if (!spec.checkpoint_dir.empty()) {
    struct stat st;
    if (::stat(spec.checkpoint_dir.c_str(), &st) != 0) {
      // Its parent (DATA/checkpoints) is there after the first job: then no mkdir -p.
      const std::string parent = spec.checkpoint_dir.substr(0, spec.checkpoint_dir.rfind('/'));
      if (::stat(parent.c_str(), &st) != 0) FG_RETURN_IF_ERROR(MakeParents(spec.checkpoint_dir));
      FG_RETURN_IF_ERROR(MakeOwned(spec.checkpoint_dir, spec));
    }
  }
  return Status::Ok();
}

Status RemoveJobDir(const LaunchSpec& spec, bool reusable) {
  if (spec.job_dir.empty()) return Status::Ok();
  struct stat st;
  if (::lstat(spec.job_dir.c_str(), &st) != 0) return Status::Ok();
  reusable = reusable && !spec.spare_dir.empty() && S_ISDIR(st.st_mode);
  if (reusable) {
    // Most jobs leave their folders empty: then there is nothing to delete, and no child.
    bool bare = IsBareSkeleton(spec.job_dir);
    if (!bare) {
      FG_ASSIGN_OR_RETURN(bool emptied, AsJobUser(spec, EmptyToSkeleton));
      bare = emptied && IsBareSkeleton(spec.job_dir);
    }
    if (bare && GiveSpare(spec)) return Status::Ok();
  }
  FG_ASSIGN_OR_RETURN(bool empty, AsJobUser(spec, RemoveContents));
  if (!empty || ::rmdir(spec.job_dir.c_str()) != 0) {
    return Internal("could not remove all of '" + spec.job_dir + "'");
  }
  return Status::Ok();
}

}  // namespace fastgpu::agent
