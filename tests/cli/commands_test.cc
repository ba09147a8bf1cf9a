// The command functions of cmd.h against a fake server: exit statuses and what they print.
#include <gtest/gtest.h>

#include <atomic>
#include <string>

#include "cli/cmd.h"
#include "cli/fake_api_server.h"
#include "cli/temp_env.h"

namespace fastgpu::cli {
namespace {

using testing::internal::CaptureStderr;
using testing::internal::CaptureStdout;
using testing::internal::GetCapturedStderr;
using testing::internal::GetCapturedStdout;

class CommandsTest : public testing::Test {
 protected:
  GlobalFlags Flags() { return GlobalFlags{fake_.url(), "key"}; }

  // Serves a job whose stdout is `out`, stderr is `err`, and which ends as `final_job`.
  void ServeJob(std::string out, std::string err, std::string final_job) {
    fake_.server().Post("/v1/jobs", [this](const httplib::Request& req, httplib::Response& res) {
      ++submits_;
      submitted_ = req.body;
      res.status = 201;
      res.set_content(R"({"id": 7, "state": "pending"})", "application/json");
    });
    fake_.server().Get("/v1/jobs/7/logs",
                       [out, err](const httplib::Request& req, httplib::Response& res) {
                         bool is_err = req.get_param_value("stream") == "stderr";
                         res.set_content(is_err ? err : out, "application/octet-stream");
                       });
    fake_.server().Get("/v1/jobs/7", [final_job](const httplib::Request&, httplib::Response& res) {
      res.set_content(final_job, "application/json");
    });
  }

  FakeApiServer fake_;
  std::atomic<int> submits_{0};
  std::string submitted_;
};

TEST_F(CommandsTest, RunDetachPrintsOnlyTheId) {
  ServeJob("", "", R"({"id": 7, "state": "pending"})");
  fake_.Start();
  RunFlags flags;
  flags.options.argv = {"echo", "hi"};
  flags.options.gpus = "0.5";
  flags.detach = true;
  CaptureStdout();
  int code = RunCommand(Flags(), flags);
  EXPECT_EQ(GetCapturedStdout(), "7\n");
  EXPECT_EQ(code, 0);
  EXPECT_NE(submitted_.find(R"("gpus":0.5)"), std::string::npos) << submitted_;
}

TEST_F(CommandsTest, RunStreamsOutputAndReturnsTheJobsExitCode) {
  ServeJob("line 1\nline 2\n", "warning\n",
           R"({"id": 7, "state": "failed", "exit_code": 3, "reason": "exited with code 3"})");
  fake_.Start();
  RunFlags flags;
  flags.options.argv = {"sh", "-c", "exit 3"};
  CaptureStdout();
  CaptureStderr();
  int code = RunCommand(Flags(), flags);
  std::string err = GetCapturedStderr();
  EXPECT_EQ(GetCapturedStdout(), "line 1\nline 2\n");
  EXPECT_EQ(err, "warning\n");
  EXPECT_EQ(code, 3);
}

TEST_F(CommandsTest, RunOfAJobThatCannotStartReturns127WithTheReason) {
  ServeJob("", "", R"({"id": 7, "state": "failed", "exit_code": null, "signal": null,
                       "reason": "cannot start: no such file: nosuchcmd"})");
  fake_.Start();
  RunFlags flags;
  flags.options.argv = {"nosuchcmd"};
  CaptureStdout();
  CaptureStderr();
  int code = RunCommand(Flags(), flags);
  std::string err = GetCapturedStderr();
  EXPECT_EQ(GetCapturedStdout(), "");
  EXPECT_EQ(code, 127);
  EXPECT_NE(err.find("cannot start: no such file: nosuchcmd"), std::string::npos) << err;
}

TEST_F(CommandsTest, RunRejectsBadFlagsBeforeContactingTheServer) {
  ServeJob("", "", "{}");
  fake_.Start();
  RunFlags flags;
  flags.options.argv = {"train"};
  flags.options.gpus = "1.5";
  CaptureStderr();
  int code = RunCommand(Flags(), flags);
  std::string err = GetCapturedStderr();
  EXPECT_EQ(code, 2);
  EXPECT_EQ(err.rfind("error: --gpus 1.5: more than one GPU must be a whole number", 0), 0u) << err;
  EXPECT_EQ(submits_, 0);
}

TEST_F(CommandsTest, RunShowsTheServersRejection) {
  fake_.server().Post("/v1/jobs", [](const httplib::Request&, httplib::Response& res) {
    ReplyError(res, 400, "invalid_argument", "no node could ever hold 64 GPUs", "resources");
  });
  fake_.Start();
  RunFlags flags;
  flags.options.argv = {"train"};
  flags.options.gpus = "64";
  CaptureStderr();
  int code = RunCommand(Flags(), flags);
  EXPECT_EQ(GetCapturedStderr(), "error: no node could ever hold 64 GPUs (field resources)\n");
  EXPECT_EQ(code, 1);
}

TEST_F(CommandsTest, PsPagesThroughAllJobs) {
  std::string states;
  fake_.server().Get("/v1/jobs", [&](const httplib::Request& req, httplib::Response& res) {
    states = req.get_param_value("state");
    if (req.get_param_value("after").empty()) {
      res.set_content(R"({"jobs": [{"id": 1, "name": "a", "state": "running", "node": "n1",
                          "resources": {"gpu_count": 2, "gpu_milli": 1000}}], "next": 1})",
                      "application/json");
    } else {
      res.set_content(R"({"jobs": [{"id": 2, "name": "bb", "state": "pending",
                          "reason": "waiting for 2 GPUs"}], "next": null})",
                      "application/json");
    }
  });
  fake_.Start();
  CaptureStdout();
  int code = PsCommand(Flags(), /*all=*/true, /*json=*/false);
  std::string out = GetCapturedStdout();
  EXPECT_EQ(code, 0);
  EXPECT_EQ(states, "");
  EXPECT_EQ(out,
            "ID   NAME   STATE     GPUS   NODE   AGE   REASON\n"
            "1    a      running   2      n1     -\n"
            "2    bb     pending   -      -      -     waiting for 2 GPUs\n");
}

TEST_F(CommandsTest, PsActiveAsJson) {
  std::string states;
  fake_.server().Get("/v1/jobs", [&](const httplib::Request& req, httplib::Response& res) {
    states = req.get_param_value("state");
    res.set_content(R"({"jobs": [{"id": 1}], "next": null})", "application/json");
  });
  fake_.Start();
  CaptureStdout();
  EXPECT_EQ(PsCommand(Flags(), /*all=*/false, /*json=*/true), 0);
  EXPECT_EQ(GetCapturedStdout(), "[\n  {\n    \"id\": 1\n  }\n]\n");
  EXPECT_EQ(states, "active");
}

TEST_F(CommandsTest, CancelReportsWhatHappened) {
  fake_.server().Post(
      R"(/v1/jobs/(\d+)/cancel)", [](const httplib::Request& req, httplib::Response& res) {
        std::string id = req.matches[1];
        if (id == "12") {
          res.set_content(R"({"id": 12, "state": "cancelled"})", "application/json");
        } else if (id == "13") {
          res.set_content(R"({"id": 13, "state": "running", "cancel_requested": true})",
                          "application/json");
        } else {
          ReplyError(res, 409, "failed_precondition", "job " + id + " has already ended");
        }
      });
  fake_.Start();
  CaptureStdout();
  EXPECT_EQ(CancelCommand(Flags(), "12"), 0);
  EXPECT_EQ(CancelCommand(Flags(), "13"), 0);
  EXPECT_EQ(GetCapturedStdout(), "cancelled 12\ncancelling 13 (SIGTERM sent)\n");
  CaptureStderr();
  EXPECT_EQ(CancelCommand(Flags(), "14"), 1);
  EXPECT_EQ(GetCapturedStderr(), "error: job 14 has already ended\n");
}

TEST_F(CommandsTest, NonNumericIdIsAUsageError) {
  fake_.Start();
  CaptureStderr();
  EXPECT_EQ(ShowCommand(Flags(), "x", false), 2);
  EXPECT_EQ(LogsCommand(Flags(), "x", false, false), 2);
  EXPECT_EQ(CancelCommand(Flags(), "x"), 2);
  EXPECT_EQ(GetCapturedStderr(),
            "error: ID must be a job number, got 'x'\n"
            "error: ID must be a job number, got 'x'\n"
            "error: ID must be a job number, got 'x'\n");
}

TEST_F(CommandsTest, UnreachableServerIsAnError) {
  CaptureStderr();
  int code = NodesCommand(GlobalFlags{"http://127.0.0.1:1", "key"}, false);
  std::string err = GetCapturedStderr();
  EXPECT_EQ(code, 1);
  EXPECT_EQ(err.rfind("error: cannot reach fastgpu server at http://127.0.0.1:1: ", 0), 0u) << err;
}

TEST_F(CommandsTest, GpusDrawsBarsAndSummary) {
  ScopedEnv env;
  env.Set("COLUMNS", "60");  // stdout is not a terminal here: $COLUMNS gives the width
  fake_.server().Get("/v1/gpus", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"gpus": [
        {"node": "n1", "index": 0, "model": "A100-80GB", "memory_mib": 81920,
         "free_milli": 750, "free_memory_mib": 61440, "node_ready": true,
         "allocations": [{"job": 12, "milli": 250, "memory_mib": 20480}]},
        {"node": "n1", "index": 1, "model": "A100-80GB", "memory_mib": 81920,
         "free_milli": 1000, "free_memory_mib": 81920, "node_ready": true, "allocations": []}],
      "summary": {"nodes": 1, "gpus": 2, "idle_gpus": 1, "total_milli": 2000,
                  "free_milli": 1750, "total_memory_mib": 163840, "free_memory_mib": 143360,
                  "pending_jobs": 0}})",
                    "application/json");
  });
  fake_.Start();
  CaptureStdout();
  EXPECT_EQ(GpusCommand(Flags(), false), 0);
  // 60 columns: a 18-cell bar; job 12 holds a quarter of GPU 0 (5 cells of 18, rounded).
  EXPECT_EQ(GetCapturedStdout(),
            "n1/0  A100-80GB  [AAAAA.............]  free 0.75 60GiB/80GiB\n"
            "n1/1  A100-80GB  [..................]  free 1 80GiB/80GiB\n"
            "A : jobs 12 (0.25)\n"
            "1 node, 2 GPUs (1 idle); free compute 1.75 of 2 GPUs; free memory 140GiB of "
            "160GiB; 0 pending jobs\n");
}

}  // namespace
}  // namespace fastgpu::cli
