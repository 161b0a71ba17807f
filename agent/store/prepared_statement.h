#pragma once
// Private to the run store: an SQL statement compiled once for the store's connection and then
// run again and again. Poco's `session << sql, now` compiles its SQL anew on every call, and
// for the short statements of an accepted push that cost as much as running them. This talks
// to SQLite directly, on the connection Poco opened, under the store's lock like the rest.

#include <Poco/Data/Session.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

extern "C" {
typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;
}

namespace turnout::agent::detail {

/// A value bound to a `?`: NULL, an integer, or text (which must outlive the call it is bound in).
using SqlValue = std::variant<std::nullptr_t, std::int64_t, std::string_view>;

/// `value` as an integer, or NULL when absent.
SqlValue nullable(const std::optional<std::int64_t>& value);

/// One statement of one connection. Compiled on first use, so it may be declared before the
/// tables it names exist; SQLite compiles it again by itself when the schema changes. Every
/// run binds all of its `?`s in order and leaves it reset. Not thread-safe: use it under the
/// store's lock. Failures throw the Poco::Data::SQLite exception Poco itself would have thrown
/// (its kind and SQLite's text).
class PreparedStatement {
 public:
  /// For `session`'s connection; `session` must outlive this.
  PreparedStatement(Poco::Data::Session& session, std::string sql);
  /// Finalizes the statement (before the connection closes: declare it after the session).
  ~PreparedStatement();
  PreparedStatement(const PreparedStatement&) = delete;
  PreparedStatement& operator=(const PreparedStatement&) = delete;

  /// Runs it to the end with `values` bound.
  void execute(std::initializer_list<SqlValue> values);
  /// Runs it with `values` bound; returns the first column of every row, as integers.
  std::vector<std::int64_t> integers(std::initializer_list<SqlValue> values);
  /// Runs it with `values` bound; returns the first `columns` columns of every row, as integers.
  std::vector<std::vector<std::int64_t>> integer_rows(std::initializer_list<SqlValue> values, int columns);
  /// Runs it with `values` bound; returns the first column of its first row as text, nullopt
  /// when it returns no row.
  std::optional<std::string> first_text(std::initializer_list<SqlValue> values);
  /// The rowid of the row this connection inserted last (by any statement).
  std::int64_t last_insert_rowid() const;

 private:
  class Run;
  sqlite3_stmt* compiled();

  sqlite3* db_;
  std::string sql_;
  sqlite3_stmt* statement_ = nullptr;
};

}  // namespace turnout::agent::detail
