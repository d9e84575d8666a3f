// GET /route on the admin endpoint: where a key of a sharded table, or a statement, is
// routed - the answer of `shardgate route`, as JSON. Pure (no I/O): the admin server calls
// it with the request's query string.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "routing/placement.hpp"
#include "routing/router.hpp"

namespace shardgate::admin {

// The parameters of a query string (application/x-www-form-urlencoded: '+' and %XX decoded).
// A malformed escape makes the result empty and `ok` false.
std::map<std::string, std::string> parse_query(std::string_view query, bool& ok);

std::string json_escape(std::string_view text);

struct http_answer {
  int status = 200;
  std::string body;  // JSON
};

// ?table=T&key=V[&schema=S] or ?sql=STATEMENT[&schema=S]; without schema, the only
// configured schema. Uses its own router (never a worker's).
class route_explainer {
 public:
  explicit route_explainer(std::shared_ptr<const routing::topology> topology);
  http_answer explain(std::string_view query);

 private:
  std::shared_ptr<const routing::topology> topology_;
  routing::router router_;
  routing::route_plan plan_;
};

}  // namespace shardgate::admin
