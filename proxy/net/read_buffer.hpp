// A growable byte buffer for socket reads: bytes are appended at the end and consumed
// from the front; consumed space is reclaimed by compaction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "protocol/bytes.hpp"

namespace shardgate::net {

class read_buffer {
 public:
  explicit read_buffer(std::size_t initial_capacity = 0) { reset_capacity(initial_capacity); }

  std::uint8_t* data() noexcept { return storage_.get() + begin_; }
  const std::uint8_t* data() const noexcept { return storage_.get() + begin_; }
  std::size_t size() const noexcept { return end_ - begin_; }
  bool empty() const noexcept { return begin_ == end_; }
  protocol::byte_span readable() const noexcept { return {data(), size()}; }
  std::size_t capacity() const noexcept { return capacity_; }

  void consume(std::size_t n) noexcept {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }

  // Makes room for at least `n` more bytes after the readable ones.
  void reserve_free(std::size_t n) {
    if (capacity_ - end_ >= n) return;
    if (begin_ > 0) {
      std::memmove(storage_.get(), storage_.get() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
      if (capacity_ - end_ >= n) return;
    }
    if (capacity_ == 0 && n <= recycled_size) {
      take_recycled();
      return;
    }
    std::size_t cap = capacity_ ? capacity_ : 1024;
    while (cap - end_ < n) cap *= 2;
    auto bigger = std::make_unique_for_overwrite<std::uint8_t[]>(cap);
    if (end_) std::memcpy(bigger.get(), storage_.get(), end_);
    storage_ = std::move(bigger);
    capacity_ = cap;
  }

  std::uint8_t* write_ptr() noexcept { return storage_.get() + end_; }
  std::size_t free_space() const noexcept { return capacity_ - end_; }
  void commit(std::size_t n) noexcept { end_ += n; }

  // Storage of this size is recycled per thread: an idle client session holds no buffer
  // (release_if_empty) and takes one back when its next command arrives, without malloc.
  static constexpr std::size_t recycled_size = 4096;

  // Gives the storage up when nothing is buffered (to this thread's free list when it
  // has the recycled size).
  void release_if_empty() {
    if (!empty() || !storage_) return;
    auto& free_list = recycled();
    if (capacity_ == recycled_size && free_list.size() < max_recycled)
      free_list.push_back(std::move(storage_));
    storage_.reset();
    capacity_ = begin_ = end_ = 0;
  }

  // Gives memory back after a large packet, if nothing is buffered beyond `keep` bytes.
  void shrink(std::size_t keep) {
    if (capacity_ > keep && size() <= keep) {
      auto smaller = std::make_unique_for_overwrite<std::uint8_t[]>(keep);
      std::size_t n = size();
      if (n) std::memcpy(smaller.get(), data(), n);
      storage_ = std::move(smaller);
      capacity_ = keep;
      begin_ = 0;
      end_ = n;
    }
  }

 private:
  static constexpr std::size_t max_recycled = 1024;  // 4 MiB per thread at most
  static std::vector<std::unique_ptr<std::uint8_t[]>>& recycled() {
    thread_local std::vector<std::unique_ptr<std::uint8_t[]>> free_list;
    return free_list;
  }
  void take_recycled() {
    auto& free_list = recycled();
    if (free_list.empty()) {
      storage_ = std::make_unique_for_overwrite<std::uint8_t[]>(recycled_size);
    } else {
      storage_ = std::move(free_list.back());
      free_list.pop_back();
    }
    capacity_ = recycled_size;
    begin_ = end_ = 0;
  }

  void reset_capacity(std::size_t cap) {
    storage_ = cap ? std::make_unique_for_overwrite<std::uint8_t[]>(cap) : nullptr;
    capacity_ = cap;
  }

  std::unique_ptr<std::uint8_t[]> storage_;
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

}  // namespace shardgate::net
