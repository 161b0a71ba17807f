#include "agent/http/connection_table.h"

#include <vector>

namespace turnout::agent {

ConnectionTable::ConnectionTable(std::size_t max_total, std::size_t max_per_peer)
    : max_total_(max_total), max_per_peer_(max_per_peer) {}

bool ConnectionTable::make_room(const std::string& peer) {
  if (max_per_peer_ > 0) {
    const auto count = per_peer_.find(peer);
    if (count != per_peer_.end() && count->second >= max_per_peer_) {
      TrackedConnection* victim = idlest(&peer);
      if (victim == nullptr) return false;
      evict(*victim);
    }
  }
  if (open_.size() >= max_total_) {
    TrackedConnection* victim = idlest(nullptr);
    if (victim == nullptr) return false;
    evict(*victim);
  }
  return true;
}

void ConnectionTable::add(TrackedConnection& connection) {
  if (open_.emplace(&connection, connection.peer).second) ++per_peer_[connection.peer];
}

void ConnectionTable::remove(TrackedConnection& connection) {
  const auto found = open_.find(&connection);
  if (found == open_.end()) return;
  const auto count = per_peer_.find(found->second);
  if (count != per_peer_.end() && --count->second == 0) per_peer_.erase(count);
  open_.erase(found);
}

void ConnectionTable::evict_waiting() {
  std::vector<TrackedConnection*> waiting;
  for (const auto& [connection, peer] : open_) {
    if (connection->waiting_on_client) waiting.push_back(connection);
  }
  for (auto* connection : waiting) evict(*connection);
}

// A linear scan: it runs only when a cap is reached, over at most max_total connections, and
// keeps add/remove O(1) for the common case.
TrackedConnection* ConnectionTable::idlest(const std::string* peer) const {
  TrackedConnection* found = nullptr;
  for (const auto& [connection, address] : open_) {
    if (!connection->waiting_on_client || (peer != nullptr && address != *peer)) continue;
    if (found == nullptr || connection->last_active < found->last_active) found = connection;
  }
  return found;
}

void ConnectionTable::evict(TrackedConnection& connection) {
  remove(connection);
  connection.evict();
}

}  // namespace turnout::agent
