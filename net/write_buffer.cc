#include "net/write_buffer.h"

#include <algorithm>

namespace torsion::net::internal {

void WriteBuffer::append(std::string_view data) {
  if (data.empty()) return;
  size_ += data.size();
  if (!chunks_.empty() && chunks_.size() > head_) {
    std::string& last = chunks_.back();
    // Pack small writes together so that gather() stays short, but never
    // grow a chunk past kChunkSize: copying big payloads twice costs more.
    if (last.size() + data.size() <= kChunkSize) {
      last.append(data);
      return;
    }
  }
  std::string chunk;
  if (data.size() < kChunkSize) chunk.reserve(kChunkSize);
  chunk.append(data);
  chunks_.push_back(std::move(chunk));
}

int WriteBuffer::gather(IoVec* iov, int max) const {
  int n = 0;
  for (std::size_t i = head_; i < chunks_.size() && n < max; ++i) {
    const std::string& c = chunks_[i];
    const std::size_t skip = i == head_ ? offset_ : 0;
    setIoVec(iov[n], c.data() + skip, c.size() - skip);
    ++n;
  }
  return n;
}

void WriteBuffer::consume(std::size_t n) {
  n = std::min(n, size_);
  size_ -= n;
  while (n > 0) {
    const std::size_t left = chunks_[head_].size() - offset_;
    if (n < left) {
      offset_ += n;
      return;
    }
    n -= left;
    chunks_[head_] = std::string();  // free it now, not at compaction
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
  std::vector<std::string>().swap(chunks_);
  head_ = 0;
  offset_ = 0;
  size_ = 0;
}

}  // namespace torsion::net::internal
