#include "config/diff.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <iterator>
#include <optional>
#include <set>
#include <utility>

#include "config/redact.hpp"

namespace shardgate::config {

namespace {

// Longest rendering of a value shown on a line; longer ones are left out (or, for lists of
// scalars, summarised as what was added and removed).
constexpr std::size_t max_shown = 100;

bool plain_scalar(const std::string& s) {
  if (s.empty() || s.front() == ' ' || s.back() == ' ') return false;
  if (s.find(": ") != std::string::npos || s.find(" #") != std::string::npos) return false;
  return s.find_first_of("[]{},\n\"'") == std::string::npos &&
         std::string_view("!&*|>%@`#-?").find(s.front()) == std::string_view::npos;
}

std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "''";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out + "'";
}

// The values of secret keys in the two documents being compared (set by
// yaml_differences for its thread): a secret aliased under another key (`user: *pw`) is
// the same node, and is hidden there too.
thread_local const std::vector<YAML::Node>* secret_values = nullptr;

bool is_secret_value(const YAML::Node& n) {
  if (!secret_values) return false;
  return std::any_of(secret_values->begin(), secret_values->end(),
                     [&](const YAML::Node& s) { return s.is(n); });
}

void collect_secrets(const YAML::Node& n, std::vector<YAML::Node>& out) {
  if (n.IsMap()) {
    for (const auto& kv : n) {
      if (kv.first.IsScalar() && is_secret_key(kv.first.Scalar()))
        out.push_back(kv.second);
      else
        collect_secrets(kv.second, out);
    }
  } else if (n.IsSequence()) {
    for (const auto& item : n) collect_secrets(item, out);
  }
}

// A compact flow rendering ({a: 1, b: [x, y]}) with secrets hidden.
void render(const YAML::Node& n, std::string& out) {
  if (is_secret_value(n)) {
    out += "<redacted>";
    return;
  }
  switch (n.Type()) {
    case YAML::NodeType::Scalar:
      out += plain_scalar(n.Scalar()) ? n.Scalar() : quoted(n.Scalar());
      return;
    case YAML::NodeType::Sequence: {
      out += '[';
      bool first = true;
      for (const auto& item : n) {
        if (!first) out += ", ";
        first = false;
        render(item, out);
      }
      out += ']';
      return;
    }
    case YAML::NodeType::Map: {
      out += '{';
      bool first = true;
      for (const auto& kv : n) {
        if (!first) out += ", ";
        first = false;
        render(kv.first, out);
        out += ": ";
        if (kv.first.IsScalar() && is_secret_key(kv.first.Scalar()))
          out += "<redacted>";
        else
          render(kv.second, out);
      }
      out += '}';
      return;
    }
    default:
      out += "null";
      return;
  }
}

std::string render(const YAML::Node& n) {
  std::string out;
  render(n, out);
  return out;
}

// A mapping key as a path segment: `name`, or `["a.b"]` when it is not a plain word.
std::string key_text(const YAML::Node& key) {
  return key.IsScalar() ? key.Scalar() : render(key);
}

std::string child_path(const std::string& path, const std::string& key) {
  const bool word = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
  if (!word) return path + "[" + quoted(key) + "]";
  return path.empty() ? key : path + "." + key;
}

std::string index_path(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

bool equal(const YAML::Node& a, const YAML::Node& b) {
  if (a.Type() != b.Type()) return false;
  switch (a.Type()) {
    case YAML::NodeType::Scalar:
      return a.Scalar() == b.Scalar();
    case YAML::NodeType::Sequence:
      if (a.size() != b.size()) return false;
      for (std::size_t i = 0; i < a.size(); ++i)
        if (!equal(a[i], b[i])) return false;
      return true;
    case YAML::NodeType::Map: {
      if (a.size() != b.size()) return false;
      for (const auto& kv : a) {
        const std::string k = key_text(kv.first);
        bool found = false;
        for (const auto& other : b) {
          if (key_text(other.first) != k) continue;
          if (!equal(kv.second, other.second)) return false;
          found = true;
          break;
        }
        if (!found) return false;
      }
      return true;
    }
    default:
      return true;
  }
}

// The scalar `name` of a mapping, or nullptr.
const std::string* item_name(const YAML::Node& item, std::string& storage) {
  if (!item.IsMap()) return nullptr;
  const YAML::Node name = item["name"];
  if (!name || !name.IsScalar()) return nullptr;
  storage = name.Scalar();
  return &storage;
}

// Every item of both lists is a mapping with a scalar name, unique within its list.
bool named_items(const YAML::Node& a, const YAML::Node& b) {
  if (a.size() == 0 && b.size() == 0) return false;
  for (const YAML::Node* list : {&a, &b}) {
    std::set<std::string> seen;
    for (const auto& item : *list) {
      std::string name;
      if (!item_name(item, name) || !seen.insert(name).second) return false;
    }
  }
  return true;
}

bool all_scalars(const YAML::Node& list) {
  return std::all_of(list.begin(), list.end(), [](const YAML::Node& n) { return n.IsScalar(); });
}

class differ {
 public:
  explicit differ(std::vector<std::string>& out) : out_(out) {}

  void node(const std::string& path, const YAML::Node& a, const YAML::Node& b, bool secret) {
    if (equal(a, b)) return;
    if (secret || is_secret_value(a) || is_secret_value(b)) {
      out_.push_back("~ " + path + ": (changed)");
    } else if (a.IsMap() && b.IsMap()) {
      maps(path, a, b);
    } else if (a.IsSequence() && b.IsSequence()) {
      lists(path, a, b);
    } else {
      out_.push_back("~ " + path + ": " + render(a) + " -> " + render(b));
    }
  }

 private:
  // "+ path: value", "+ path (name: X)", or "+ path" when the value is a secret or long.
  void whole(char sign, const std::string& path, const YAML::Node& n, bool secret) {
    std::string line = std::string(1, sign) + " " + path;
    std::string name;
    if (secret) {
      // the path only
    } else if (item_name(n, name)) {
      line += " (name: " + name + ")";
    } else if (std::string r = render(n); r.size() <= max_shown) {
      line += ": " + r;
    }
    out_.push_back(std::move(line));
  }

  void maps(const std::string& path, const YAML::Node& a, const YAML::Node& b) {
    std::set<std::string> in_a;
    for (const auto& kv : a) {
      const std::string k = key_text(kv.first);
      in_a.insert(k);
      const bool secret = is_secret_key(k);
      const std::string p = child_path(path, k);
      if (const auto other = find(b, k))
        node(p, kv.second, *other, secret);
      else
        whole('-', p, kv.second, secret);
    }
    for (const auto& kv : b) {
      const std::string k = key_text(kv.first);
      if (!in_a.count(k)) whole('+', child_path(path, k), kv.second, is_secret_key(k));
    }
  }

  static std::optional<YAML::Node> find(const YAML::Node& map, const std::string& key) {
    for (const auto& kv : map)
      if (key_text(kv.first) == key) return kv.second;
    return std::nullopt;
  }

  void lists(const std::string& path, const YAML::Node& a, const YAML::Node& b) {
    if (named_items(a, b)) return named_lists(path, a, b);
    if (all_scalars(a) && all_scalars(b)) return scalar_lists(path, a, b);
    const std::size_t common = std::min(a.size(), b.size());
    for (std::size_t i = 0; i < common; ++i) node(index_path(path, i), a[i], b[i], false);
    for (std::size_t i = common; i < a.size(); ++i) whole('-', index_path(path, i), a[i], false);
    for (std::size_t i = common; i < b.size(); ++i) whole('+', index_path(path, i), b[i], false);
  }

  void named_lists(const std::string& path, const YAML::Node& a, const YAML::Node& b) {
    auto index_of = [](const YAML::Node& list, const std::string& name) -> std::ptrdiff_t {
      std::string n;
      for (std::size_t i = 0; i < list.size(); ++i)
        if (item_name(list[i], n) && n == name) return static_cast<std::ptrdiff_t>(i);
      return -1;
    };
    std::string name;
    for (std::size_t i = 0; i < a.size(); ++i) {
      item_name(a[i], name);
      const auto j = index_of(b, name);
      if (j < 0)
        whole('-', index_path(path, i), a[i], false);
      else
        node(path + "[name=" + (plain_scalar(name) ? name : quoted(name)) + "]", a[i],
             b[static_cast<std::size_t>(j)], false);
    }
    for (std::size_t j = 0; j < b.size(); ++j) {
      item_name(b[j], name);
      if (index_of(a, name) < 0) whole('+', index_path(path, j), b[j], false);
    }
  }

  void scalar_lists(const std::string& path, const YAML::Node& a, const YAML::Node& b) {
    const std::string ra = render(a), rb = render(b);
    if (ra.size() + rb.size() <= 2 * max_shown) {
      out_.push_back("~ " + path + ": " + ra + " -> " + rb);
      return;
    }
    std::multiset<std::string> left, right;
    auto shown = [](const YAML::Node& n) {
      return is_secret_value(n) ? std::string("<redacted>") : n.Scalar();
    };
    for (const auto& n : a) left.insert(shown(n));
    for (const auto& n : b) right.insert(shown(n));
    std::vector<std::string> added, removed;
    std::set_difference(right.begin(), right.end(), left.begin(), left.end(),
                        std::back_inserter(added));
    std::set_difference(left.begin(), left.end(), right.begin(), right.end(),
                        std::back_inserter(removed));
    auto join = [](const std::vector<std::string>& v) {
      std::string s;
      for (const auto& x : v) s += (s.empty() ? "" : ", ") + (plain_scalar(x) ? x : quoted(x));
      return "[" + s + "]";
    };
    std::string line = "~ " + path + ":";
    if (!added.empty()) line += " added " + join(added);
    if (!removed.empty())
      line += std::string(added.empty() ? "" : ",") + " removed " + join(removed);
    if (added.empty() && removed.empty()) line += " order changed";
    out_.push_back(std::move(line));
  }

  std::vector<std::string>& out_;
};

}  // namespace

std::vector<std::string> yaml_differences(const std::string& old_text,
                                          const std::string& new_text) {
  std::vector<std::string> out;
  YAML::Node a, b;
  try {
    a = YAML::Load(old_text);
  } catch (const YAML::Exception& e) {
    return {"! cannot compare: the old configuration does not parse: " + e.msg};
  }
  try {
    b = YAML::Load(new_text);
  } catch (const YAML::Exception& e) {
    return {"! cannot compare: the new configuration does not parse: " + e.msg};
  }
  std::vector<YAML::Node> secrets;
  collect_secrets(a, secrets);
  collect_secrets(b, secrets);
  secret_values = &secrets;
  struct forget {
    ~forget() { secret_values = nullptr; }
  } on_return;
  differ(out).node("", a, b, false);
  // Two documents that are not mappings (never the case for valid configurations).
  for (auto& line : out)
    if (line.size() > 2 && line[2] == ':') line.insert(2, "(document)");
  return out;
}

std::vector<std::string> restart_only_changes(const config& old, const config& neu) {
  std::vector<std::string> out;
  auto check = [&](bool differs, const char* name) {
    if (differs) out.emplace_back(name);
  };
  check(old.listen.address != neu.listen.address, "listen.address");
  check(old.listen.port != neu.listen.port, "listen.port");
  check(old.listen.workers != neu.listen.workers, "listen.workers");
  check(old.listen.server_version != neu.listen.server_version, "listen.server_version");
  check(old.admin.address != neu.admin.address, "admin.address");
  check(old.admin.port != neu.admin.port, "admin.port");
  check(old.admin.enabled != neu.admin.enabled, "admin.enabled");
  check(old.transactions.xa_log != neu.transactions.xa_log, "transactions.xa_log");
  check(old.transactions.xa_name != neu.transactions.xa_name, "transactions.xa_name");
  check(old.transactions.xa_recovery_interval_s != neu.transactions.xa_recovery_interval_s,
        "transactions.xa_recovery_interval_s");
  return out;
}

}  // namespace shardgate::config
