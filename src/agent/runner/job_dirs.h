#pragma once
// The job's private folders, made by the supervisor before the job starts and removed after:
//   job_dir/        0700, owned by the job's uid:gid: nobody else may enter it
//   job_dir/work/   the default working directory (and HOME)
//   job_dir/tmp/    TMPDIR; /tmp itself with a private mount namespace
//   checkpoint_dir  0700 uid:gid, made when missing (its parents 0711 root); kept across attempts
// Paths come from the LaunchSpec; uid/gid -1 means the supervisor's own.
//
// Reuse (spec.spare_dir set): an emptied job_dir (work/ and tmp/ in it, nothing else) is moved
// to spare_dir/<uid>.<gid>/ instead of being deleted, and the next job of the same uid:gid
// takes one from there with a rename. Creating and deleting three folders per job was the
// largest single cost of a short job on ext4 without a journal, whose inode allocator skips,
// one by one, every inode deleted in the last minute or more (`recently_deleted`). Folders are
// only reused by the same user (nothing of one tenant's reaches another), only when no process
// of the job can still be in them (the caller says so: its cgroup was emptied and removed),
// and every re-own goes through descriptors opened with O_NOFOLLOW.

#include "agent/runner/attempt_files.h"
#include "common/result.h"

namespace fastgpu::agent {

// Creates the folders above, taking a spare job_dir when there is one (existing ones are
// re-owned and re-moded, except an existing checkpoint_dir, which is left as it is). Internal
// naming the path on error.
Status MakeJobDirs(const LaunchSpec& spec);

// Deletes job_dir with everything in it. What is inside is deleted by a child process that
// runs as the job's user, so a symlink or mount point the job planted cannot make the root
// supervisor delete anything the job itself could not; then the emptied folder goes. With
// `reusable` and spec.spare_dir, work/ and tmp/ are emptied rather than deleted and job_dir
// moves to the spare folders. OK when job_dir is empty or absent. Internal with what is left
// on error.
Status RemoveJobDir(const LaunchSpec& spec, bool reusable = false);

}  // namespace fastgpu::agent
