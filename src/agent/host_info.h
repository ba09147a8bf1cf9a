#pragma once
// What the agent reads about its own host: name, CPUs, memory, the user it runs as.

#include <cstdint>
#include <string>

namespace fastgpu::agent {

struct HostInfo {
  std::string hostname;    // gethostname(); "localhost" when unknown
  int32_t cpu_milli = 0;   // online CPUs x 1000
  int64_t memory_mib = 0;  // physical memory
  std::string home;        // the agent user's home folder (passwd, else $HOME, else "/")
  std::string user;        // the agent user's name; empty when unknown
};

// Reads the values above. Never fails: unknown values are left as described.
HostInfo ReadHostInfo();

}  // namespace fastgpu::agent
