// Small helpers the router's files share (router.cpp, router_sharded.cpp, ...).
#pragma once

#include <algorithm>
#include <vector>

#include "sql/classify.hpp"

namespace shardgate::routing {

inline bool contains(const std::vector<int>& v, int x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

inline const char* kind_word(sql::statement_kind k) {
  switch (k) {
    case sql::statement_kind::insert:
      return "INSERT";
    case sql::statement_kind::replace:
      return "REPLACE";
    case sql::statement_kind::update:
      return "UPDATE";
    case sql::statement_kind::delete_:
      return "DELETE";
    case sql::statement_kind::select:
      return "SELECT";
    default:
      return "statement";
  }
}

}  // namespace shardgate::routing
