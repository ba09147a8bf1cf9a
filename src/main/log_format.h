#pragma once
// The daemons' log format (--log-format): "text" (spdlog's default lines) or "json", one object
// per line: {"time":"2026-12-01T12:00:00.123Z","level":"info","thread":123,"msg":"..."}, with
// the message escaped for JSON, so that log shippers parse it without guessing.

#include <string>

namespace fastgpu::main {

// Sets the format of the default logger; anything but "json" means text.
void SetLogFormat(const std::string& format);

}  // namespace fastgpu::main
