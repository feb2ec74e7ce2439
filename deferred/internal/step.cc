#include "deferred/internal/step.h"

#include "base/thread_block_cache.h"

namespace torsion::internal {
namespace {
// Memory for step blocks, kept per thread like the chains' (ChainBlocks): a
// chain of 100 callbacks takes seven blocks, which from malloc cost ~15
// instructions a step (W5 chain/100, callgrind). 64 blocks of ~1 KiB.
constexpr std::size_t kBlockBytes =
    sizeof(void*) + StepList::kBlockSteps * sizeof(Step) + alignof(Step);
using StepBlocks = ThreadBlockCache<kBlockBytes, 64>;
}  // namespace

void StepList::release() noexcept {
  clear();
  for (Block* b = blocks_; b != nullptr;) {
    Block* next = b->next;
    b->~Block();
    StepBlocks::give(b);
    b = next;
  }
}

StepList::Block* StepList::spareBlock() {
  Block*& link = tailBlock_ == nullptr ? blocks_ : tailBlock_->next;
  if (link == nullptr) {
    static_assert(sizeof(Block) <= kBlockBytes);
    link = ::new (StepBlocks::take()) Block;  // slots left unwritten
    link->next = nullptr;
  }
  return link;
}

void StepList::nextHeadBlock() {
  headBlock_ = headBlock_ == nullptr ? blocks_ : headBlock_->next;
  head_ = headBlock_->begin();
  headEnd_ = headBlock_->end();
}

void StepList::clear() noexcept {
  // The list is empty before any step is destroyed: destroying one may
  // re-enter code that looks at it.
  Step* p = head_;
  Step* end = headEnd_;
  Block* block = headBlock_;
  Step* const last = tail_;
  tail_ = head_ = inlineSlot();
  tailEnd_ = headEnd_ = inlineSlot() + 1;
  tailBlock_ = headBlock_ = nullptr;
  for (; p != last; ++p) {
    if (p == end) {
      block = block == nullptr ? blocks_ : block->next;
      p = block->begin();
      end = block->end();
    }
    p->~Step();
  }
}

}  // namespace torsion::internal
