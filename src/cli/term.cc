#include "cli/term.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>

namespace fastgpu::cli {
namespace {

int PositiveEnv(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return 0;
  char* end = nullptr;
  long n = std::strtol(v, &end, 10);
  return (*end == '\0' && n > 0 && n < 100000) ? static_cast<int>(n) : 0;
}

}  // namespace

TerminalSize GetTerminalSize(int fd) {
  TerminalSize size;
  struct winsize ws {};
  if (isatty(fd) == 1 && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
    size.columns = ws.ws_col;
    size.rows = ws.ws_row;
    return size;
  }
  size.columns = PositiveEnv("COLUMNS");
  size.rows = PositiveEnv("LINES");
  return size;
}

bool UseColor(int fd) {
  if (isatty(fd) != 1) return false;
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && *no_color != '\0') return false;
  const char* term = std::getenv("TERM");
  return term == nullptr || std::string(term) != "dumb";
}

std::string StateColor(const std::string& state) {
  if (state == "running") return "32";
  if (state == "pending") return "33";
  if (state == "scheduled") return "36";
  if (state == "failed") return "31";
  if (state == "cancelled") return "35";
  return "";
}

}  // namespace fastgpu::cli
