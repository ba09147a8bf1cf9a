#pragma once
// Secrets for the control plane: API keys and the agents' join token.
//
// An API key looks like "fgk_<8 hex>_<32 hex>". Its public prefix ("fgk_<8 hex>") names the key
// in the store; the store keeps only the hex SHA-256 of the whole key, never the key itself.
// The join token is 32 hex characters; the store keeps its hex SHA-256 in the meta entry
// kJoinTokenMetaKey. Randomness comes from the kernel (getrandom); hashing from OpenSSL.
// All functions are safe for concurrent use.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "store/store.h"

namespace fastgpu::control {

inline constexpr const char* kJoinTokenMetaKey = "join_token_sha256";

// `bytes` random bytes from getrandom(2) as lower-case hex (2 * bytes characters).
// Internal when the kernel gives no randomness.
Result<std::string> RandomHex(size_t bytes);

// Lower-case hex SHA-256 of `data` (64 characters).
std::string Sha256Hex(std::string_view data);

// Equal length and equal bytes, in time that depends only on the length.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// The public prefix ("fgk_1a2b3c4d") of a well-formed key, nullopt for anything else.
std::optional<std::string> ApiKeyPrefix(std::string_view key);

// A fresh key and the record to store for it (hash, tenant, role, created_ms).
struct NewApiKey {
  std::string key;
  store::ApiKeyRecord record;
};
Result<NewApiKey> MakeApiKey(const std::string& tenant, const std::string& role,
                             int64_t created_ms);

// A fresh join token (32 hex characters).
Result<std::string> MakeJoinToken();

// Checks `key` against the store at time now_ms: OK with the key's record, Unauthenticated
// when the key is empty, malformed, unknown, wrong, revoked or expired (expires_ms set and
// <= now_ms); other store errors are passed through.
Result<store::ApiKeyRecord> VerifyApiKey(store::Store& store, std::string_view key,
                                         int64_t now_ms);

}  // namespace fastgpu::control
