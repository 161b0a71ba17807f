#pragma once
// Private to the store: SQLite through its own C API. A statement is compiled once for its
// connection and then run again and again: compiling the short statements of an accepted push
// cost as much as running them (Poco::Data compiled them anew on every call).

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <stdexcept>
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

/// What SQLite answered when it refused something: its result code and its own words.
class SqlError : public std::runtime_error {
 public:
  /// `code` is SQLite's (extended) result code, `message` its text.
  SqlError(int code, const std::string& message);
  /// True when a constraint (a foreign key, CHECK, UNIQUE, NOT NULL) refused a write.
  bool is_constraint() const;

 private:
  int code_;
};

/// Throws SqlError with `db`'s message for `code`.
[[noreturn]] void throw_sql_error(sqlite3* db, int code);

/// One row of a result, copied out of SQLite: each cell NULL, an integer, or text.
class SqlRow {
 public:
  /// A cell of the row.
  using Cell = std::variant<std::nullptr_t, std::int64_t, std::string>;
  /// Takes the cells, in column order.
  explicit SqlRow(std::vector<Cell> cells) : cells_(std::move(cells)) {}
  /// Column `column` as text: "" for NULL, an integer in decimal.
  std::string text(std::size_t column) const;
  /// Column `column` as an integer: 0 for NULL, text read as a number.
  std::int64_t integer(std::size_t column) const;
  /// Column `column`, nullopt for NULL.
  std::optional<std::int64_t> nullable_integer(std::size_t column) const;
  /// True when column `column` is NULL.
  bool is_null(std::size_t column) const;
  /// How many columns it has.
  std::size_t size() const { return cells_.size(); }

 private:
  std::vector<Cell> cells_;
};

/// One statement of one connection. Compiled on first use, so it may be made before the tables
/// it names exist; SQLite compiles it again by itself when the schema changes. Each run binds
/// all its `?`s in order, runs to the end and leaves it reset (no read snapshot stays open).
/// Not thread-safe: use it under the store's lock. Failures throw SqlError.
class Statement {
 public:
  /// For connection `db`, which must outlive this.
  Statement(sqlite3* db, std::string sql);
  /// Finalizes the statement (before its connection closes).
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  /// Runs it to the end with `values` bound.
  void execute(std::initializer_list<SqlValue> values = {});
  /// Runs it with `values` bound; every row it returns.
  std::vector<SqlRow> rows(std::initializer_list<SqlValue> values = {});
  /// Runs it with `values` bound; the first column of every row, as integers.
  std::vector<std::int64_t> integers(std::initializer_list<SqlValue> values = {});
  /// Runs it with `values` bound; the first column of its first row as an integer, nullopt
  /// when it returns no row.
  std::optional<std::int64_t> first_integer(std::initializer_list<SqlValue> values = {});
  /// Likewise, as text.
  std::optional<std::string> first_text(std::initializer_list<SqlValue> values = {});

 private:
  class Run;
  sqlite3_stmt* compiled();

  sqlite3* db_;
  std::string sql_;
  sqlite3_stmt* statement_ = nullptr;
};

}  // namespace turnout::agent::detail
