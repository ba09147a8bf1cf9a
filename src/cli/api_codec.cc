#include "cli/api_codec.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

namespace fastgpu::cli {
namespace {

using nlohmann::json;

Status Unexpected(std::string_view what) {
  return Internal("unexpected reply from server: " + std::string(what));
}

Result<json> ParseObject(std::string_view body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Unexpected("not JSON");
  if (!j.is_object()) return Unexpected("not a JSON object");
  return j;
}

std::string Pretty(const json& j) { return j.dump(2, ' ', false, json::error_handler_t::replace); }

const json* Field(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return nullptr;
  return &*it;
}

int64_t Int(const json& j, const char* key) {
  const json* v = Field(j, key);
  if (v == nullptr) return 0;
  if (v->is_number_integer()) return v->get<int64_t>();
  if (v->is_number_unsigned()) return static_cast<int64_t>(v->get<uint64_t>());
  if (v->is_number_float()) return static_cast<int64_t>(v->get<double>());
  return 0;
}

std::optional<int64_t> OptInt(const json& j, const char* key) {
  const json* v = Field(j, key);
  if (v == nullptr || !v->is_number()) return std::nullopt;
  return Int(j, key);
}

std::string Str(const json& j, const char* key) {
  const json* v = Field(j, key);
  if (v == nullptr || !v->is_string()) return "";
  return v->get<std::string>();
}

bool Bool(const json& j, const char* key) {
  const json* v = Field(j, key);
  return v != nullptr && v->is_boolean() && v->get<bool>();
}

const json& Array(const json& j, const char* key) {
  static const json* const kEmpty = new json(json::array());
  const json* v = Field(j, key);
  return v != nullptr && v->is_array() ? *v : *kEmpty;
}

Job DecodeJob(const json& j) {
  Job job;
  job.id = Int(j, "id");
  job.name = Str(j, "name");
  job.tenant = Str(j, "tenant");
  for (const json& a : Array(j, "argv")) {
    if (a.is_string()) job.argv.push_back(a.get<std::string>());
  }
  job.workdir = Str(j, "workdir");
  if (const json* r = Field(j, "resources")) {
    job.gpu_count = Int(*r, "gpu_count");
    job.gpu_milli = Int(*r, "gpu_milli");
    job.gpu_memory_mib = Int(*r, "gpu_memory_mib");
    job.cpu_milli = Int(*r, "cpu_milli");
    job.memory_mib = Int(*r, "memory_mib");
    for (const json& m : Array(*r, "gpu_models")) {
      if (m.is_string()) job.gpu_models.push_back(m.get<std::string>());
    }
    if (Field(*r, "nodes") != nullptr) job.nodes = Int(*r, "nodes");
  }
  job.priority = Int(j, "priority");
  job.max_retries = Int(j, "max_retries");
  job.time_limit_s = Int(j, "time_limit_s");
  if (const json* a = Field(j, "array"); a != nullptr && a->is_object()) {
    job.array_id = Int(*a, "id");
    job.array_index = Int(*a, "index");
    job.array_limit = Int(*a, "limit");
  }
  // [{"kind":"ok","job":12}] -> {"ok:12"}, the form --after takes.
  auto texts = [&j](const char* key) {
    std::vector<std::string> out;
    for (const json& d : Array(j, key)) out.push_back(Str(d, "kind") + ":" + std::to_string(Int(d, "job")));
    return out;
  };
  job.dependencies = texts("dependencies");
  job.waiting_for = texts("waiting_for");
  job.state = Str(j, "state");
  job.reason = Str(j, "reason");
  job.queue_position = Int(j, "queue_position");
  job.node = Str(j, "node");
  for (const json& d : Array(j, "devices")) {
    job.devices.push_back({Int(d, "index"), Str(d, "uuid"), Int(d, "milli"), Int(d, "memory_mib")});
  }
  for (const json& rank : Array(j, "ranks")) job.rank_nodes.push_back(Str(rank, "node"));
  job.attempt = Int(j, "attempt");
  job.exit_code = OptInt(j, "exit_code");
  job.signal = OptInt(j, "signal");
  job.cancel_requested = Bool(j, "cancel_requested");
  job.submitted_ms = Int(j, "submitted_ms");
  job.started_ms = Int(j, "started_ms");
  job.finished_ms = Int(j, "finished_ms");
  job.json = Pretty(j);
  return job;
}

StatusCode CodeFromName(const std::string& name) {
  static const std::pair<const char*, StatusCode> kCodes[] = {
      {"invalid_argument", StatusCode::kInvalidArgument},
      {"not_found", StatusCode::kNotFound},
      {"already_exists", StatusCode::kAlreadyExists},
      {"failed_precondition", StatusCode::kFailedPrecondition},
      {"resource_exhausted", StatusCode::kResourceExhausted},
      {"unauthenticated", StatusCode::kUnauthenticated},
      {"permission_denied", StatusCode::kPermissionDenied},
      {"unavailable", StatusCode::kUnavailable},
      {"internal", StatusCode::kInternal},
  };
  for (const auto& [n, code] : kCodes) {
    if (name == n) return code;
  }
  return StatusCode::kInternal;
}

StatusCode CodeFromHttp(int http_status) {
  switch (http_status) {
    case 400:
      return StatusCode::kInvalidArgument;
    case 401:
      return StatusCode::kUnauthenticated;
    case 403:
      return StatusCode::kPermissionDenied;
    case 404:
      return StatusCode::kNotFound;
    case 409:
      return StatusCode::kFailedPrecondition;
    case 413:
    case 429:
      return StatusCode::kResourceExhausted;
    case 503:
      return StatusCode::kUnavailable;
    default:
      return StatusCode::kInternal;
  }
}

}  // namespace

Result<Job> ParseJob(std::string_view body) {
  FG_ASSIGN_OR_RETURN(json j, ParseObject(body));
  return DecodeJob(j);
}

Result<JobPage> ParseJobPage(std::string_view body) {
  FG_ASSIGN_OR_RETURN(json j, ParseObject(body));
  const json* jobs = Field(j, "jobs");
  if (jobs == nullptr || !jobs->is_array()) return Unexpected("no \"jobs\" array");
  JobPage page;
  for (const json& job : *jobs) page.jobs.push_back(DecodeJob(job));
  page.next = OptInt(j, "next");
  return page;
}

Result<std::vector<Node>> ParseNodes(std::string_view body) {
  FG_ASSIGN_OR_RETURN(json j, ParseObject(body));
  const json* nodes = Field(j, "nodes");
  if (nodes == nullptr || !nodes->is_array()) return Unexpected("no \"nodes\" array");
  std::vector<Node> out;
  for (const json& n : *nodes) {
    Node node;
    node.name = Str(n, "name");
    node.state = Str(n, "state");
    node.simulated = Bool(n, "simulated");
    node.cpu_milli = Int(n, "cpu_milli");
    node.memory_mib = Int(n, "memory_mib");
    node.last_seen_ms = Int(n, "last_seen_ms");
    for (const json& d : Array(n, "devices")) {
      node.devices.push_back(
          {Int(d, "index"), Str(d, "uuid"), Str(d, "model"), Int(d, "memory_mib")});
    }
    node.json = Pretty(n);
    out.push_back(std::move(node));
  }
  return out;
}

Result<Pool> ParsePool(std::string_view body) {
  FG_ASSIGN_OR_RETURN(json j, ParseObject(body));
  const json* gpus = Field(j, "gpus");
  if (gpus == nullptr || !gpus->is_array()) return Unexpected("no \"gpus\" array");
  Pool pool;
  for (const json& g : *gpus) {
    Gpu gpu;
    gpu.node = Str(g, "node");
    gpu.index = Int(g, "index");
    gpu.uuid = Str(g, "uuid");
    gpu.model = Str(g, "model");
    gpu.memory_mib = Int(g, "memory_mib");
    gpu.free_milli = Int(g, "free_milli");
    gpu.free_memory_mib = Int(g, "free_memory_mib");
    const json* ready = Field(g, "node_ready");
    gpu.node_ready = ready == nullptr || !ready->is_boolean() || ready->get<bool>();
    const json* healthy = Field(g, "healthy");  // absent from older servers: healthy
    gpu.healthy = healthy == nullptr || !healthy->is_boolean() || healthy->get<bool>();
    gpu.health = Str(g, "health");
    for (const json& a : Array(g, "allocations")) {
      gpu.allocations.push_back(
          {Int(a, "job"), Str(a, "tenant"), Int(a, "milli"), Int(a, "memory_mib")});
    }
    pool.gpus.push_back(std::move(gpu));
  }
  if (const json* s = Field(j, "summary")) {
    pool.summary = {Int(*s, "nodes"),           Int(*s, "gpus"),        Int(*s, "idle_gpus"),
                    Int(*s, "total_milli"),     Int(*s, "free_milli"),  Int(*s, "total_memory_mib"),
                    Int(*s, "free_memory_mib"), Int(*s, "pending_jobs")};
  }
  pool.json = Pretty(j);
  return pool;
}

Status StatusFromHttp(int http_status, std::string_view body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (const json* err = j.is_discarded() ? nullptr : Field(j, "error");
      err != nullptr && err->is_object()) {
    std::string message = Str(*err, "message");
    if (message.empty()) message = "HTTP " + std::to_string(http_status);
    std::string code = Str(*err, "code");
    StatusCode status_code = code.empty() ? CodeFromHttp(http_status) : CodeFromName(code);
    return Status(status_code, std::move(message), Str(*err, "field"));
  }
  std::string snippet(body.substr(0, 200));
  while (!snippet.empty() && (snippet.back() == '\n' || snippet.back() == '\r')) {
    snippet.pop_back();
  }
  std::string message = "HTTP " + std::to_string(http_status);
  if (!snippet.empty()) message += ": " + snippet;
  return Status(CodeFromHttp(http_status), std::move(message));
}

std::string JsonArray(const std::vector<std::string>& objects) {
  json array = json::array();
  for (const std::string& text : objects) {
    json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
    array.push_back(j.is_discarded() ? json(text) : std::move(j));
  }
  return Pretty(array);
}

}  // namespace fastgpu::cli
