// torsion/task/generator.h: Generator<T>, a lazy C++20 generator (co_yield).
//
// Stands in for the Python generators that Twisted's Cooperator drives
// (twisted.internet.task.cooperate / coiterate take any iterator). A
// function returning Generator<T> may `co_yield` values of T; nothing runs
// until the first next(), and each next() runs the body to its next
// co_yield (true) or to its end (false). An exception leaving the body is
// rethrown from next(), after which the generator is finished.
//
//   torsion::task::Generator<int> countTo(int n) {
//     for (int i = 1; i <= n; ++i) co_yield i;
//   }
//   for (int i : countTo(3)) std::cout << i;      // 123
//
//   auto g = countTo(2);
//   while (g.next()) use(g.value());
//
// Thread-safety: none; a generator is used by one thread at a time. It is
// move-only; destroying it destroys a suspended body (its locals' destructors
// run) without resuming it.
#ifndef TORSION_TASK_GENERATOR_H_
#define TORSION_TASK_GENERATOR_H_

#include <concepts>
#include <coroutine>
#include <exception>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <utility>

namespace torsion::task {

template <typename T>
class Generator {
  static_assert(std::is_object_v<T> && !std::is_const_v<T>,
                "Generator<T>: T must be a non-const object type");

 public:
  using value_type = T;

  struct promise_type {
    std::optional<T> current;
    std::exception_ptr error;

    Generator get_return_object() {
      return Generator(std::coroutine_handle<promise_type>::from_promise(*this));
    }
    // Lazy, like a Python generator: the body starts at the first next().
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    template <typename U>
    requires std::constructible_from<T, U&&> std::suspend_always yield_value(U&& v) {
      current.emplace(std::forward<U>(v));
      return {};
    }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { error = std::current_exception(); }
  };

  Generator(Generator&& other) noexcept : h_(std::exchange(other.h_, nullptr)) {}
  Generator& operator=(Generator&& other) noexcept {
    if (this != &other) {
      if (h_) h_.destroy();
      h_ = std::exchange(other.h_, nullptr);
    }
    return *this;
  }
  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;
  ~Generator() {
    if (h_) h_.destroy();
  }

  // Runs the body to its next co_yield (true; value() is what it yielded)
  // or to its end (false, and false on every later call). Rethrows an
  // exception the body threw. Throws std::logic_error on a moved-from
  // generator or when called from inside its own body.
  bool next() {
    if (!h_) throw std::logic_error("Generator::next: moved-from generator");
    if (h_.done()) return false;
    if (running_)
      throw std::logic_error("Generator::next: called from inside the generator");
    h_.promise().current.reset();
    running_ = true;
    h_.resume();
    running_ = false;
    if (h_.promise().error) {
      std::exception_ptr e = std::exchange(h_.promise().error, nullptr);
      std::rethrow_exception(e);
    }
    return !h_.done();
  }

  // The value the last next() stopped at. Throws std::logic_error if there
  // is none (before the first next(), or after the end).
  T& value() {
    if (!h_ || !h_.promise().current) {
      throw std::logic_error("Generator::value: no current value (call next() first)");
    }
    return *h_.promise().current;
  }

  // True once the body has ended (or for a moved-from generator).
  bool done() const { return !h_ || h_.done(); }

  // Input iteration: for (T& v : gen). Each step calls next().
  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using difference_type = std::ptrdiff_t;
    using value_type = T;
    iterator() = default;
    explicit iterator(Generator* g) : g_(g) {}
    T& operator*() const { return g_->value(); }
    iterator& operator++() {
      if (!g_->next()) g_ = nullptr;
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& it, std::default_sentinel_t) {
      return it.g_ == nullptr;
    }

   private:
    Generator* g_ = nullptr;
  };
  iterator begin() {
    iterator it(this);
    if (!next()) return iterator();
    return it;
  }
  std::default_sentinel_t end() { return {}; }

 private:
  explicit Generator(std::coroutine_handle<promise_type> h) : h_(h) {}

  std::coroutine_handle<promise_type> h_;
  bool running_ = false;
};

}  // namespace torsion::task

#endif  // TORSION_TASK_GENERATOR_H_
