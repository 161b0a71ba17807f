#include "agent/store/sqlite.h"

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Exception.h>

#include <mutex>

using namespace Poco::Data::Keywords;

namespace turnout::agent::detail {
namespace {

// Poco's default login timeout retries a failing open for a minute; a file that cannot be opened
// now will not open later, so fail at once.
constexpr std::size_t kOpenTimeoutSeconds = 0;

void register_connector() {
  static std::once_flag once;
  std::call_once(once, [] { Poco::Data::SQLite::Connector::registerConnector(); });
}

}  // namespace

Poco::Data::Session open_session(const std::string& db_path) {
  register_connector();
  Poco::Data::Session session(Poco::Data::SQLite::Connector::KEY, db_path, kOpenTimeoutSeconds);
  // The busy timeout first: switching to WAL needs a lock another process may hold for a moment.
  session << "PRAGMA busy_timeout = 10000", now;
  session << "PRAGMA journal_mode = WAL", now;
  session << "PRAGMA foreign_keys = ON", now;
  // With WAL, NORMAL loses at most the last commits on a power cut, never consistency.
  session << "PRAGMA synchronous = NORMAL", now;
  return session;
}

Transaction::Transaction(Poco::Data::Session& session, Kind kind) : session_(session) {
  // Our own BEGIN rather than Session::begin(), which is always DEFERRED.
  session_ << (kind == Kind::write ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED"), now;
}

Transaction::~Transaction() {
  if (!open_) return;
  try {
    session_ << "ROLLBACK", now;
  } catch (const Poco::Exception&) {
    // SQLite rolls back by itself on some errors; nothing is left to undo then.
  }
}

void Transaction::commit() {
  session_ << "COMMIT", now;
  open_ = false;
}

}  // namespace turnout::agent::detail
