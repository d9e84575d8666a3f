#include "transactions/commit_protocol.hpp"

#include "transactions/coordinator.hpp"

namespace shardgate::transactions {

namespace {

class single_shard final : public commit_protocol {
 public:
  const char* name() const noexcept override { return "single shard"; }
  awaitable<session::next> end(coordinator& c, std::vector<int>& open, bool,
                               std::string_view) const override {
    co_return co_await c.end_on_shard(open.front());
  }
};

class in_turn final : public commit_protocol {
 public:
  const char* name() const noexcept override { return "in turn"; }
  awaitable<session::next> end(coordinator& c, std::vector<int>& open, bool commit,
                               std::string_view sql) const override {
    co_return co_await c.end_in_turn(open, commit, sql);
  }
};

class two_phase final : public commit_protocol {
 public:
  const char* name() const noexcept override { return "two-phase"; }
  awaitable<session::next> end(coordinator& c, std::vector<int>&, bool commit,
                               std::string_view) const override {
    co_return co_await c.end_xa_transaction(commit);
  }
};

}  // namespace

const commit_protocol& single_shard_commit() noexcept {
  static const single_shard p;
  return p;
}
const commit_protocol& in_turn_commit() noexcept {
  static const in_turn p;
  return p;
}
const commit_protocol& two_phase_commit() noexcept {
  static const two_phase p;
  return p;
}

}  // namespace shardgate::transactions
