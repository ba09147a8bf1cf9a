#pragma once
// Internal to the JSON codec: the "telemetry" member of POST /v1/agent/report (agent to
// server) and the telemetry objects of the node and GPU views (server to users). Include only
// from json_codec*.cc: it pulls in nlohmann/json.hpp.

#include <nlohmann/json.hpp>

#include "api/json_util.h"
#include "common/result.h"
#include "core/model/telemetry.h"

namespace fastgpu::api {

// Parses a report's "telemetry" object. Types and ranges are strict (InvalidArgument naming
// the field, e.g. "telemetry.gpus[1].temperature_c"); unknown members are ignored, so that a
// newer agent's extra figures never break its heartbeat on an older server. null or absent
// optional figures stay absent.
Result<core::NodeTelemetry> ParseTelemetry(const json_util::Json& value);

// One device's telemetry as the node and GPU views show it (absent figures are omitted).
nlohmann::ordered_json EncodeDeviceTelemetry(const core::DeviceTelemetry& t);

}  // namespace fastgpu::api
