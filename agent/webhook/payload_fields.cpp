#include "agent/webhook/payload_fields.h"

// SSE2 is in every x86-64 processor: RapidJSON then scans a string's plain bytes 16 at a time,
// which halved the parse of a push.
#if defined(__SSE2__) && !defined(RAPIDJSON_SSE2)
#define RAPIDJSON_SSE2
#endif
#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>
#include <rapidjson/stream.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>

#include "util/utf8.h"

namespace turnout::agent {

namespace {

// Poco's parser, which the intake used before, refused bodies nested deeper than this; the
// bound also keeps RapidJSON's recursive descent well inside a connection thread's stack.
constexpr int kMaxDepth = 128;

// RapidJSON refuses a high surrogate escape without its low half, but writes a lone low one
// (`\udc00`) into the string as the bytes ED B0..BF xx, which are no UTF-8. Poco's parser
// refused those bodies; so do we. (A real surrogate pair arrives here already combined into one
// 4-byte character.)
bool has_lone_surrogate(std::string_view text) {
  for (auto at = text.find('\xed'); at != std::string_view::npos; at = text.find('\xed', at + 1)) {
    if (at + 1 < text.size() && (static_cast<unsigned char>(text[at + 1]) & 0xe0) == 0xa0) return true;
  }
  return false;
}

// RapidJSON's events for one body, kept only where they land on a wanted path. Depth 1 is
// inside the top-level object, depth 2 inside an object it holds.
class FieldHandler : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, FieldHandler> {
 public:
  explicit FieldHandler(std::span<const PayloadPath> paths) : paths_(paths), values_(paths.size()) {}

  std::vector<PayloadValue> take_values() { return std::move(values_); }
  bool root_is_object() const { return root_is_object_; }
  bool too_deep() const { return too_deep_; }
  bool lone_surrogate() const { return lone_surrogate_; }

  bool Key(const char* text, rapidjson::SizeType length, bool) {
    const std::string_view key(text, length);
    if (has_lone_surrogate(key)) return refuse_surrogate();
    target_ = nullptr;
    pending_ = {};
    if (depth_ == 1) {
      for (std::size_t i = 0; i < paths_.size(); ++i) {
        // A repeated key replaces the earlier value whole: forget what the earlier one held.
        if (paths_[i].parent.empty() && paths_[i].key == key) aim_at(i);
        if (!paths_[i].parent.empty() && paths_[i].parent == key) {
          values_[i] = PayloadValue{};
          pending_ = paths_[i].parent;
        }
      }
    } else if (depth_ == 2 && !open_.empty()) {
      for (std::size_t i = 0; i < paths_.size(); ++i)
        if (paths_[i].parent == open_ && paths_[i].key == key) aim_at(i);
    }
    return true;
  }

  bool StartObject() {
    if (depth_ == 0) root_is_object_ = true;
    const auto parent = pending_;
    if (!enter()) return false;
    if (depth_ == 2) open_ = parent;
    return true;
  }
  bool StartArray() { return enter(); }
  bool EndObject(rapidjson::SizeType) { return leave(); }
  bool EndArray(rapidjson::SizeType) { return leave(); }

  bool String(const char* text, rapidjson::SizeType length, bool) {
    if (has_lone_surrogate(std::string_view(text, length))) return refuse_surrogate();
    return set([&](PayloadValue& value) {
      value.kind = PayloadValue::Kind::string;
      value.text.assign(text, length);
    });
  }
  bool Bool(bool flag) {
    return set([&](PayloadValue& value) {
      value.kind = PayloadValue::Kind::boolean;
      value.flag = flag;
    });
  }
  bool Int(int number) { return integer(number); }
  bool Uint(unsigned number) { return integer(number); }
  bool Int64(std::int64_t number) { return integer(number); }
  bool Uint64(std::uint64_t number) {
    if (number <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return integer(static_cast<std::int64_t>(number));
    return set([](PayloadValue& value) { value.kind = PayloadValue::Kind::too_large; });
  }
  // null, fractions and exponents, and integers past 2^64.
  bool Default() {
    return set([](PayloadValue& value) { value.kind = PayloadValue::Kind::other; });
  }

 private:
  void aim_at(std::size_t index) {
    values_[index] = PayloadValue{};
    target_ = &values_[index];
  }

  bool integer(std::int64_t number) {
    return set([&](PayloadValue& value) {
      value.kind = PayloadValue::Kind::integer;
      value.integer = number;
    });
  }

  // A scalar: stored when a wanted key is waiting for its value; either way the key is done.
  template <typename Store>
  bool set(Store&& store) {
    if (target_ != nullptr) store(*target_);
    target_ = nullptr;
    return true;
  }

  bool refuse_surrogate() {
    lone_surrogate_ = true;
    return false;
  }

  bool enter() {
    // An object or array as a wanted key's value is `other`: it stays as the key left it.
    if (target_ != nullptr) target_->kind = PayloadValue::Kind::other;
    target_ = nullptr;
    pending_ = {};
    if (++depth_ > kMaxDepth) {
      too_deep_ = true;
      return false;
    }
    return true;
  }

  bool leave() {
    if (--depth_ < 2) open_ = {};
    return true;
  }

  std::span<const PayloadPath> paths_;
  std::vector<PayloadValue> values_;
  PayloadValue* target_ = nullptr;  // the wanted value the next event belongs to
  std::string_view pending_;        // a parent's key, until its value starts
  std::string_view open_;           // the parent whose object is open at depth 2
  int depth_ = 0;
  bool root_is_object_ = false;
  bool too_deep_ = false;
  bool lone_surrogate_ = false;
};

util::Error not_json(const std::string& reason) {
  return util::fail("is not valid JSON: " + reason, util::ErrorKind::invalid);
}

bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

util::Result<std::vector<PayloadValue>> read_payload_fields(std::string_view body,
                                                            std::span<const PayloadPath> paths) {
  // A string with a broken UTF-8 sequence is refused, as before. The parser stops after the
  // value; what follows is checked here, because RapidJSON's own check reads a NUL byte as the
  // end of the input.
  // Checked over the whole body before parsing instead of by RapidJSON string by string, which
  // took as long as the parse itself; a byte outside a string that is not ASCII is a syntax
  // error either way.
  if (const auto bad = util::first_invalid_utf8(body); bad != std::string_view::npos)
    return not_json("not UTF-8 (at byte " + std::to_string(bad) + ")");
  constexpr unsigned kFlags = rapidjson::kParseStopWhenDoneFlag;
  // Parsed in place (insitu): a string is handed over where it lies in the copy, unescaped there,
  // instead of copied byte by byte onto the reader's stack first. The stream reads up to a NUL:
  // the copy ends with 16, because the SSE2 scan loads whole aligned 16-byte blocks, past the
  // first NUL. A NUL inside the body ends the input there, which is an error either way (inside
  // a string, or more data after the value).
  std::string text;
  text.reserve(body.size() + 16);
  text.append(body).append(16, '\0');
  rapidjson::InsituStringStream stream(text.data());
  FieldHandler handler(paths);
  rapidjson::Reader reader;
  const rapidjson::ParseResult parsed = reader.Parse<kFlags | rapidjson::kParseInsituFlag>(stream, handler);
  if (handler.too_deep()) return not_json("nested deeper than " + std::to_string(kMaxDepth) + " levels");
  if (handler.lone_surrogate())
    return not_json("a string holds half a UTF-16 surrogate pair (\\udc00-\\udfff)");
  if (parsed.IsError()) {
    return not_json(std::string(rapidjson::GetParseError_En(parsed.Code())) + " (at byte " +
                    std::to_string(parsed.Offset()) + ")");
  }
  for (std::size_t at = stream.Tell(); at < body.size(); ++at) {
    if (!is_json_space(body[at]))
      return not_json("more data after the value (at byte " + std::to_string(at) + ")");
  }
  if (!handler.root_is_object()) return util::fail("must be a JSON object", util::ErrorKind::invalid);
  return handler.take_values();
}

}  // namespace turnout::agent
