#include "control/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sys/random.h>

#include <cerrno>
#include <memory>
#include <vector>

namespace fastgpu::control {
namespace {

constexpr std::string_view kKeyTag = "fgk_";
constexpr size_t kPrefixHex = 8;
constexpr size_t kSecretHex = 32;

std::string ToHex(const unsigned char* data, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 0xf]);
  }
  return out;
}

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

Result<std::string> RandomHex(size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  size_t got = 0;
  while (got < bytes) {
    ssize_t n = getrandom(buf.data() + got, bytes - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Internal("getrandom failed: errno " + std::to_string(errno));
    }
    got += static_cast<size_t>(n);
  }
  return ToHex(buf.data(), buf.size());
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  // These calls fail only when OpenSSL is out of memory or broken: our invariant.
  FG_CHECK(ctx != nullptr);
  FG_CHECK(EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) == 1);
  FG_CHECK(EVP_DigestUpdate(ctx.get(), data.data(), data.size()) == 1);
  FG_CHECK(EVP_DigestFinal_ex(ctx.get(), digest, &len) == 1);
  return ToHex(digest, len);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::optional<std::string> ApiKeyPrefix(std::string_view key) {
  const size_t prefix_len = kKeyTag.size() + kPrefixHex;
  if (key.size() != prefix_len + 1 + kSecretHex) return std::nullopt;
  if (key.substr(0, kKeyTag.size()) != kKeyTag || key[prefix_len] != '_') return std::nullopt;
  if (!IsLowerHex(key.substr(kKeyTag.size(), kPrefixHex)) ||
      !IsLowerHex(key.substr(prefix_len + 1))) {
    return std::nullopt;
  }
  return std::string(key.substr(0, prefix_len));
}

Result<NewApiKey> MakeApiKey(const std::string& tenant, const std::string& role,
                             int64_t created_ms) {
  FG_ASSIGN_OR_RETURN(std::string prefix_hex, RandomHex(kPrefixHex / 2));
  FG_ASSIGN_OR_RETURN(std::string secret_hex, RandomHex(kSecretHex / 2));
  NewApiKey out;
  out.record.prefix = std::string(kKeyTag) + prefix_hex;
  out.key = out.record.prefix + "_" + secret_hex;
  out.record.hash = Sha256Hex(out.key);
  out.record.tenant = tenant;
  out.record.role = role;
  out.record.created_ms = created_ms;
  return out;
}

Result<std::string> MakeJoinToken() { return RandomHex(16); }

Result<store::ApiKeyRecord> VerifyApiKey(store::Store& store, std::string_view key,
                                         int64_t now_ms) {
  if (key.empty()) return Unauthenticated("missing API key");
  std::optional<std::string> prefix = ApiKeyPrefix(key);
  if (!prefix) return Unauthenticated("malformed API key (want fgk_<8 hex>_<32 hex>)");
  Result<store::ApiKeyRecord> rec = store.GetApiKey(*prefix);
  if (!rec.ok()) {
    if (rec.error().code() == StatusCode::kNotFound) return Unauthenticated("invalid API key");
    return rec.error();
  }
  if (!ConstantTimeEquals(Sha256Hex(key), rec->hash)) return Unauthenticated("invalid API key");
  if (rec->revoked) return Unauthenticated("API key " + rec->prefix + " was revoked");
  if (rec->expires_ms > 0 && rec->expires_ms <= now_ms) {
    return Unauthenticated("API key " + rec->prefix + " expired");
  }
  return rec;
}

}  // namespace fastgpu::control
