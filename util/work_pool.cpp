#include "util/work_pool.h"

#include <pthread.h>

#include <algorithm>
#include <system_error>

namespace turnout::util {

WorkPool::WorkPool(const std::string& name, std::size_t threads, std::size_t max_waiting)
    : thread_name_(name.substr(0, 15)),  // the kernel keeps 15 characters
      max_waiting_(max_waiting),
      size_(std::max<std::size_t>(threads, 1)) {}

WorkPool::~WorkPool() { stop(); }

bool WorkPool::try_submit(std::function<void()> job) { return push(std::move(job), true); }

bool WorkPool::submit(std::function<void()> job) { return push(std::move(job), false); }

bool WorkPool::push(std::function<void()> job, bool bounded) {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ || (bounded && jobs_.size() >= max_waiting_ + (size_ - busy_))) return false;
    jobs_.push_back(std::move(job));
    // Every started thread that runs no job takes one of the queued jobs; a job left over gets
    // a new thread while there may be more.
    if (jobs_.size() > threads_.size() - busy_ && threads_.size() < size_ && !start_thread()) {
      // With no thread at all, nothing would ever run the job: it is refused, as when full.
      // Otherwise a started thread takes it once free.
      if (threads_.empty()) {
        jobs_.pop_back();
        return false;
      }
    }
  }
  ready_.notify_one();
  return true;
}

bool WorkPool::start_thread() {
  try {
    threads_.emplace_back([this] { work(); });
  } catch (const std::system_error&) {  // the process's or user's thread limit, or no memory
    return false;
  }
  ::pthread_setname_np(threads_.back().native_handle(), thread_name_.c_str());
  return true;
}

std::size_t WorkPool::waiting() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return jobs_.size();
}

std::size_t WorkPool::idle() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return size_ - busy_;
}

void WorkPool::stop() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  ready_.notify_all();
  for (auto& thread : threads_) thread.join();
  threads_.clear();
}

void WorkPool::work() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      // Stopping still runs what was queued: a job may be the answer a client waits for.
      if (jobs_.empty()) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
      ++busy_;
    }
    job();
    const std::lock_guard<std::mutex> lock(mutex_);
    --busy_;
  }
}

}  // namespace turnout::util
