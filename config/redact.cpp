#include "config/redact.hpp"

#include <yaml-cpp/yaml.h>

namespace shardgate::config {

namespace {

constexpr const char* redacted = "<redacted>";

// Replaces secrets in place (node data is shared: an anchored secret is hidden wherever
// it is aliased too).
void redact(YAML::Node node) {
  if (node.IsMap()) {
    for (auto kv : node) {
      if (kv.first.IsScalar() && is_secret_key(kv.first.Scalar()))
        kv.second = redacted;
      else
        redact(kv.second);
    }
  } else if (node.IsSequence()) {
    for (auto item : node) redact(item);
  }
}

}  // namespace

bool is_secret_key(std::string_view key) noexcept {
  return key == "password" || key == "password_hash" || key == "password_sha256";
}

std::string redacted_yaml(const std::string& source_text) {
  try {
    YAML::Node root = YAML::Load(source_text);
    redact(root);
    YAML::Emitter out;
    out << root;
    if (!out.good()) return {};
    std::string text = out.c_str();
    if (!text.empty() && text.back() != '\n') text += '\n';
    return text;
  } catch (const YAML::Exception&) {
    return {};
  }
}

}  // namespace shardgate::config
