// `fastgpu top`: a live view of the pool and the queue, redrawn every few seconds; q quits.
#include <poll.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <string>

#include "cli/cmd.h"
#include "cli/cmd_common.h"
#include "cli/term.h"
#include "cli/views.h"

namespace fastgpu::cli {
namespace {

int g_wake_fd = -1;  // write end of the self-pipe; set only while a TerminalSession lives

void OnSignal(int sig) {
  char c = static_cast<char>(sig);
  if (g_wake_fd >= 0) (void)!write(g_wake_fd, &c, 1);
}

// Puts the terminal in a mode for a full-screen view and restores it in the destructor:
// alternate screen, hidden cursor, keys read one at a time without echo. SIGINT, SIGTERM
// and SIGWINCH are turned into bytes on a pipe (signal byte = the signal number). Not
// thread-safe; one at a time.
class TerminalSession {
 public:
  TerminalSession() {
    if (pipe(pipe_) != 0) pipe_[0] = pipe_[1] = -1;
    g_wake_fd = pipe_[1];
    struct sigaction sa {};
    sa.sa_handler = OnSignal;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGINT, SIGTERM, SIGWINCH}) sigaction(sig, &sa, nullptr);
    if (isatty(STDIN_FILENO) == 1 && tcgetattr(STDIN_FILENO, &saved_) == 0) {
      termios raw = saved_;
      raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
      raw.c_cc[VMIN] = 0;
      raw.c_cc[VTIME] = 0;
      restore_ = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
    }
    std::fputs("\033[?1049h\033[?25l", stdout);
  }
  ~TerminalSession() {
    std::fputs("\033[?25h\033[?1049l", stdout);
    std::fflush(stdout);
    if (restore_) tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
    struct sigaction sa {};
    sa.sa_handler = SIG_DFL;
    for (int sig : {SIGINT, SIGTERM, SIGWINCH}) sigaction(sig, &sa, nullptr);
    g_wake_fd = -1;
    for (int fd : pipe_) {
      if (fd >= 0) close(fd);
    }
  }
  TerminalSession(const TerminalSession&) = delete;
  TerminalSession& operator=(const TerminalSession&) = delete;

  enum class Wake { kTimeout, kRedraw, kQuit };

  // Waits up to `ms` for a key or a signal: q, Q or a stop signal quit; SIGWINCH or any other
  // key redraws at once.
  Wake Wait(int ms) {
    pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {pipe_[0], POLLIN, 0}};
    int n = poll(fds, 2, ms);
    if (n <= 0) return n < 0 && errno != EINTR ? Wake::kQuit : Wake::kTimeout;
    char c = 0;
    if (fds[1].revents & POLLIN) {
      if (read(pipe_[0], &c, 1) == 1 && c != SIGWINCH) return Wake::kQuit;
      return Wake::kRedraw;
    }
    if (fds[0].revents & (POLLHUP | POLLERR)) return Wake::kQuit;
    if (read(STDIN_FILENO, &c, 1) == 1 && (c == 'q' || c == 'Q')) return Wake::kQuit;
    return Wake::kRedraw;
  }

 private:
  int pipe_[2] = {-1, -1};
  termios saved_{};
  bool restore_ = false;
};

std::string Frame(ApiClient& client, int columns, int rows, bool color) {
  Result<Pool> pool = client.GetPool();
  Result<std::vector<Job>> jobs =
      pool.ok() ? FetchJobs(client, /*all=*/false) : Result<std::vector<Job>>(pool.error());
  if (!pool.ok() || !jobs.ok()) {
    const Status& s = pool.ok() ? jobs.error() : pool.error();
    return "fastgpu top - " + client.url() + " - q quits\n" +
           Truncate(ErrorLine(s), static_cast<size_t>(columns > 0 ? columns : 80)) +
           "\n(retrying)\n";
  }
  return RenderTopFrame(client.url(), *pool, *jobs, NowMs(), columns, rows, color);
}

// Each line cleared to its end, then everything below: no flicker, no leftovers.
void Draw(const std::string& frame) {
  std::string out = "\033[H";
  size_t start = 0;
  while (start < frame.size()) {
    size_t nl = frame.find('\n', start);
    if (nl == std::string::npos) nl = frame.size();
    out += frame.substr(start, nl - start) + "\033[K";
    if (nl + 1 < frame.size()) out += "\r\n";
    start = nl + 1;
  }
  out += "\033[J";
  std::fputs(out.c_str(), stdout);
  std::fflush(stdout);
}

}  // namespace

int TopCommand(const GlobalFlags& globals, const TopFlags& flags) {
  if (!(flags.interval_s >= 0.1 && flags.interval_s <= 3600)) {
    return ReportUsageError(InvalidArgument(
        std::to_string(flags.interval_s) + ": must be between 0.1 and 3600 seconds, e.g. 2",
        "--interval"));
  }
  std::unique_ptr<ApiClient> client = Connect(globals);
  if (client == nullptr) return kExitError;
  if (flags.once || isatty(STDOUT_FILENO) != 1) {
    TerminalSize size = GetTerminalSize(STDOUT_FILENO);
    std::fputs(Frame(*client, size.columns, 0, UseColor(STDOUT_FILENO)).c_str(), stdout);
    return kExitOk;
  }
  TerminalSession session;
  const int interval_ms = static_cast<int>(std::lround(flags.interval_s * 1000));
  while (true) {
    TerminalSize size = GetTerminalSize(STDOUT_FILENO);
    Draw(Frame(*client, size.columns, size.rows, UseColor(STDOUT_FILENO)));
    if (session.Wait(interval_ms) == TerminalSession::Wake::kQuit) break;
  }
  return kExitOk;
}

}  // namespace fastgpu::cli
