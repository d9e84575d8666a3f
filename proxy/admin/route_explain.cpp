#include "admin/route_explain.hpp"

#include <cstdio>

#include "metrics/query_stats.hpp"
#include "routing/statement_parser.hpp"

namespace shardgate::admin {

namespace {
int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool decode(std::string_view in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out += ' ';
    } else if (in[i] == '%') {
      if (i + 2 >= in.size() || hex(in[i + 1]) < 0 || hex(in[i + 2]) < 0) return false;
      out += static_cast<char>(hex(in[i + 1]) * 16 + hex(in[i + 2]));
      i += 2;
    } else {
      out += in[i];
    }
  }
  return true;
}

http_answer error_answer(int status, std::string_view message) {
  return {status, "{\"error\": \"" + json_escape(message) + "\"}\n"};
}
}  // namespace

std::map<std::string, std::string> parse_query(std::string_view query, bool& ok) {
  std::map<std::string, std::string> out;
  ok = true;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (part.empty()) continue;
    const auto eq = part.find('=');
    std::string name, value;
    if (!decode(part.substr(0, eq), name) ||
        (eq != std::string_view::npos && !decode(part.substr(eq + 1), value))) {
      ok = false;
      return {};
    }
    out[name] = value;
  }
  return out;
}

std::string json_escape(std::string_view text) {
  // (Always valid JSON: also bytes that are not UTF-8, e.g. of a binary key, are escaped.)
  std::string out;
  out.reserve(text.size() + 8);
  metrics::append_json_string(out, text);
  return out;
}

route_explainer::route_explainer(std::shared_ptr<const routing::topology> topology)
    : topology_(topology), router_(std::move(topology)) {}

http_answer route_explainer::explain(std::string_view query) {
  bool ok = false;
  auto params = parse_query(query, ok);
  if (!ok) return error_answer(400, "malformed query string (bad %-escape)");
  const auto& cfg = topology_->config();
  const bool have_key = params.count("key") > 0, have_sql = params.count("sql") > 0;
  if (have_key == have_sql || (have_key && params["table"].empty()))
    return error_answer(400, "give table=T&key=V or sql=STATEMENT (and optionally schema=S)");
  std::string schema = params["schema"];
  if (schema.empty() && cfg.schemas.size() == 1) schema = cfg.schemas.front().name;
  std::string body = "{";
  if (have_key) {
    const auto* sc = cfg.find_schema(routing::identifier_lower(schema));
    const auto* t = sc ? sc->find_table(routing::identifier_lower(params["table"])) : nullptr;
    body += "\"schema\": \"" + json_escape(schema) + "\", \"table\": \"" +
            json_escape(params["table"]) + "\", \"key\": \"" + json_escape(params["key"]) + "\", ";
    if (!t) {
      const std::string cluster = cfg.clusters[topology_->default_cluster(sc)].name;
      return {200, body + "\"sharded\": false, \"action\": \"single\", \"clusters\": [\"" +
                       json_escape(cluster) + "\"], \"reason\": \"" +
                       json_escape("table " + schema + "." + params["table"] +
                                   " is not sharded: every statement goes to cluster " + cluster) +
                       "\"}\n"};
    }
    router_.route_key(*t, params["key"], plan_);
    body += "\"sharded\": true, ";
  } else {
    router_.route(params["sql"], routing::session_view{schema}, plan_, true);
    body += "\"schema\": \"" + json_escape(schema) + "\", \"sql\": \"" +
            json_escape(params["sql"]) + "\", ";
  }
  if (plan_.action == routing::route_action::refuse)
    return {422, body + "\"action\": \"refuse\", \"error\": {\"code\": " +
                     std::to_string(plan_.error.code) + ", \"sqlstate\": \"" +
                     json_escape(plan_.error.sql_state) + "\", \"message\": \"" +
                     json_escape(plan_.error.message) + "\"}}\n"};
  std::string clusters;
  for (int c : plan_.clusters)
    clusters += (clusters.empty() ? "\"" : ", \"") + json_escape(cfg.clusters[c].name) + "\"";
  const char* action = plan_.action == routing::route_action::single ? "single" : "fan_out";
  body += std::string("\"action\": \"") + action + "\", \"combine\": \"" +
          routing::route_combine_name(plan_.combine) + "\", \"clusters\": [" + clusters +
          "], \"reason\": \"" + json_escape(plan_.reason) + "\"}\n";
  return {200, body};
}

}  // namespace shardgate::admin
