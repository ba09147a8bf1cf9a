#pragma once
// What the CLI needs to know about the terminal it prints to: its size, and whether to color.
// Reads the process environment and ioctls only; no state.

#include <string>

namespace fastgpu::cli {

struct TerminalSize {
  int columns = 0;  // 0: unknown (not a terminal and no $COLUMNS): print lines unlimited
  int rows = 0;     // 0: unknown
};

// The size of the terminal on `fd` (TIOCGWINSZ). When `fd` is not a terminal, $COLUMNS and
// $LINES give it when they hold positive integers; otherwise the fields are 0.
TerminalSize GetTerminalSize(int fd);

// True when `fd` is a terminal, $NO_COLOR is unset or empty and $TERM is not "dumb"
// (https://no-color.org). Output to pipes and files is never colored.
bool UseColor(int fd);

// The ANSI SGR color code for a job state: running green, pending yellow, scheduled cyan,
// failed red, cancelled magenta, succeeded none ("").
std::string StateColor(const std::string& state);

}  // namespace fastgpu::cli
