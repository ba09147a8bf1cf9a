#pragma once
// The job's private folders, made by the supervisor before the job starts and removed after:
//   job_dir/        0700, owned by the job's uid:gid: nobody else may enter it
//   job_dir/work/   the default working directory (and HOME)
//   job_dir/tmp/    TMPDIR; /tmp itself with a private mount namespace
//   checkpoint_dir  0700 uid:gid, made when missing (its parents 0711 root); kept across attempts
// Paths come from the LaunchSpec; uid/gid -1 means the supervisor's own.

#include "agent/runner/attempt_files.h"
#include "common/result.h"

namespace fastgpu::agent {

// Creates the folders above (existing ones are re-owned and re-moded, except an existing
// checkpoint_dir, which is left as it is). Internal naming the path on error.
Status MakeJobDirs(const LaunchSpec& spec);

// Deletes job_dir with everything in it. What is inside is deleted by a child process that
// runs as the job's user, so a symlink or mount point the job planted cannot make the root
// supervisor delete anything the job itself could not; then the emptied folder goes. OK when
// job_dir is empty or absent. Internal with what is left on error.
Status RemoveJobDir(const LaunchSpec& spec);

}  // namespace fastgpu::agent
