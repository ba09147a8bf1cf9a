// Device deny lists: cgroup v1 devices.deny and a cgroup v2 BPF device program.
#include "agent/cgroup/devices.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "agent/cgroup/cgroup_files.h"

namespace fastgpu::agent::cgroup {
namespace {

// The few instruction shapes the program needs (the kernel's filter.h macros are not UAPI).
bpf_insn Insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn insn;
  std::memset(&insn, 0, sizeof(insn));
  insn.code = code;
  insn.dst_reg = dst & 0xf;
  insn.src_reg = src & 0xf;
  insn.off = off;
  insn.imm = imm;
  return insn;
}
bpf_insn LoadWord(uint8_t dst, uint8_t src, int16_t off) {
  return Insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0);
}
bpf_insn And32(uint8_t dst, int32_t imm) { return Insn(BPF_ALU | BPF_AND | BPF_K, dst, 0, 0, imm); }
bpf_insn JumpIfNot(uint8_t dst, int32_t imm, int16_t off) {
  return Insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm);
}
bpf_insn Mov64(uint8_t dst, int32_t imm) {
  return Insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);
}
bpf_insn Exit() { return Insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

long Bpf(int cmd, bpf_attr* attr) { return ::syscall(SYS_bpf, cmd, attr, sizeof(*attr)); }

}  // namespace

std::string FormatDeviceRule(const DeviceRule& rule) {
  return std::string(1, rule.type) + " " + std::to_string(rule.major) + ":" +
         std::to_string(rule.minor);
}

Result<DeviceRule> ParseDeviceRule(const std::string& text) {
  DeviceRule rule;
  unsigned major = 0, minor = 0;
  char type = 0;
  int used = 0;
  if (text.find_first_of("-+") != std::string::npos ||
      std::sscanf(text.c_str(), "%c %u:%u%n", &type, &major, &minor, &used) != 3 ||
      static_cast<size_t>(used) != text.size() || (type != 'c' && type != 'b')) {
    return InvalidArgument("bad device rule '" + text + "' (want e.g. \"c 195:0\")", "device");
  }
  rule.type = type;
  rule.major = major;
  rule.minor = minor;
  return rule;
}

Status DenyDevicesV1(const std::string& dir, const std::vector<DeviceRule>& deny) {
  for (const DeviceRule& rule : deny) {
    FG_RETURN_IF_ERROR(WriteFile(dir + "/devices.deny", FormatDeviceRule(rule) + " rwm"));
  }
  return Status::Ok();
}

std::vector<bpf_insn> DeviceFilterProgram(const std::vector<DeviceRule>& deny) {
  // r1 = struct bpf_cgroup_dev_ctx {u32 access_type (access << 16 | type); u32 major, minor}.
  std::vector<bpf_insn> prog = {
      LoadWord(2, 1, 0),  // r2 = access_type
      And32(2, 0xffff),   // r2 = device type
      LoadWord(3, 1, 4),  // r3 = major
      LoadWord(4, 1, 8),  // r4 = minor
  };
  for (const DeviceRule& rule : deny) {
    // Each block is 5 instructions; a mismatch jumps to the next block.
    int32_t type = rule.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
    prog.push_back(JumpIfNot(2, type, 4));
    prog.push_back(JumpIfNot(3, static_cast<int32_t>(rule.major), 3));
    prog.push_back(JumpIfNot(4, static_cast<int32_t>(rule.minor), 2));
    prog.push_back(Mov64(0, 0));  // deny
    prog.push_back(Exit());
  }
  prog.push_back(Mov64(0, 1));  // allow
  prog.push_back(Exit());
  return prog;
}

Status AttachDeviceFilterV2(const std::string& dir, const std::vector<DeviceRule>& deny) {
  std::vector<bpf_insn> prog = DeviceFilterProgram(deny);
  static const char kLicense[] = "Apache-2.0";
  char log[4096] = {};
  bpf_attr load;
  std::memset(&load, 0, sizeof(load));
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = reinterpret_cast<uint64_t>(prog.data());
  load.insn_cnt = static_cast<uint32_t>(prog.size());
  load.license = reinterpret_cast<uint64_t>(kLicense);
  load.log_buf = reinterpret_cast<uint64_t>(log);
  load.log_size = sizeof(log);
  load.log_level = 1;
  int prog_fd = static_cast<int>(Bpf(BPF_PROG_LOAD, &load));
  if (prog_fd < 0) {
    int err = errno;
    return Unavailable(std::string("load BPF device program: ") + std::strerror(err) +
                       (log[0] != '\0' ? std::string(" (verifier: ") + log + ")" : ""));
  }
  int cgroup_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cgroup_fd < 0) {
    int err = errno;
    ::close(prog_fd);
    return Unavailable("open " + dir + ": " + std::strerror(err));
  }
  bpf_attr attach;
  std::memset(&attach, 0, sizeof(attach));
  attach.target_fd = static_cast<uint32_t>(cgroup_fd);
  attach.attach_bpf_fd = static_cast<uint32_t>(prog_fd);
  attach.attach_type = BPF_CGROUP_DEVICE;
  attach.attach_flags = BPF_F_ALLOW_MULTI;
  long rc = Bpf(BPF_PROG_ATTACH, &attach);
  int err = errno;
  ::close(cgroup_fd);
  ::close(prog_fd);  // the attachment keeps the program
  if (rc != 0)
    return Unavailable("attach BPF device program to " + dir + ": " + std::strerror(err));
  return Status::Ok();
}

}  // namespace fastgpu::agent::cgroup
