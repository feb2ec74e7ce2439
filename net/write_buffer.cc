#include "net/write_buffer.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace torsion::net::internal {

void WriteBuffer::append(std::string_view data) {
  while (!data.empty()) {
    if (chunks_.size() == head_ || chunks_.back().size == kChunkSize) {
      // Grow first (geometrically): a failed push_back must not lose the block.
      if (chunks_.size() == chunks_.capacity())
        chunks_.reserve(std::max<std::size_t>(8, 2 * chunks_.capacity()));
      chunks_.push_back(Chunk{static_cast<char*>(WriteChunks::take()), 0});
    }
    Chunk& last = chunks_.back();
    const std::size_t n = std::min(data.size(), kChunkSize - last.size);
    std::memcpy(last.data + last.size, data.data(), n);
    last.size += n;
    size_ += n;
    data.remove_prefix(n);
  }
}

int WriteBuffer::gather(IoVec* iov, int max) const {
  int n = 0;
  for (std::size_t i = head_; i < chunks_.size() && n < max; ++i) {
    const Chunk& c = chunks_[i];
    const std::size_t skip = i == head_ ? offset_ : 0;
    setIoVec(iov[n], c.data + skip, c.size - skip);
    ++n;
  }
  return n;
}

void WriteBuffer::consume(std::size_t n) {
  n = std::min(n, size_);
  size_ -= n;
  while (n > 0) {
    const std::size_t left = chunks_[head_].size - offset_;
    if (n < left) {
      offset_ += n;
      return;
    }
    n -= left;
    WriteChunks::give(
        std::exchange(chunks_[head_].data, nullptr));  // now, not at compaction
    ++head_;
    offset_ = 0;
  }
  if (size_ == 0) {
    clear();
  } else if (head_ >= 64 && head_ * 2 >= chunks_.size()) {
    chunks_.erase(chunks_.begin(), chunks_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
}

void WriteBuffer::clear() {
  for (std::size_t i = head_; i < chunks_.size(); ++i) WriteChunks::give(chunks_[i].data);
  std::vector<Chunk>().swap(chunks_);
  head_ = 0;
  offset_ = 0;
  size_ = 0;
}

}  // namespace torsion::net::internal
