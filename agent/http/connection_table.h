#pragma once
// The server's open connections, for its caps: overall and per client address. When a new
// connection would pass a cap, the idlest connection that waits on its client (for a request,
// or for the rest of one) is closed to make room, so that a flood of idle or slow connections
// cannot lock out new clients. Used on the I/O thread only: no locking.

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <unordered_map>

namespace turnout::agent {

/// One open connection as the table sees it.
class TrackedConnection {
 public:
  virtual ~TrackedConnection() = default;
  /// Closes the connection now; its pending reads and writes end with an error.
  virtual void evict() = 0;

  std::string peer;                                   ///< the client's address
  std::chrono::steady_clock::time_point last_active;  ///< when its client last sent a byte (or it opened)
  bool waiting_on_client = true;                      ///< false while a request is handled or answered
};

/// The open connections and the caps on them.
class ConnectionTable {
 public:
  /// `max_per_peer` 0: no cap per address.
  ConnectionTable(std::size_t max_total, std::size_t max_per_peer);

  /// Makes room for one more connection from `peer`, closing the idlest connection that waits on
  /// its client when a cap is reached; false when there is none to close (every one is busy).
  bool make_room(const std::string& peer);
  /// Counts `connection` in, until remove().
  void add(TrackedConnection& connection);
  /// Counts `connection` out; nothing when it is not in (it was evicted).
  void remove(TrackedConnection& connection);
  /// Evicts every connection that waits on its client (the server is stopping).
  void evict_waiting();
  /// Open connections now.
  std::size_t size() const { return open_.size(); }

 private:
  // The idlest waiting connection (of `peer` only, when given); nullptr when none waits.
  TrackedConnection* idlest(const std::string* peer) const;
  void evict(TrackedConnection& connection);

  std::size_t max_total_;
  std::size_t max_per_peer_;
  std::unordered_map<TrackedConnection*, std::string> open_;
  std::map<std::string, std::size_t> per_peer_;
};

}  // namespace turnout::agent
