// napix/detail/path.h — where inside a nested value a conversion failed, written the way a JS
// programmer would reach it: `[2].size`, `items[0]`, `["a b"]`. Plain C++ so it is unit-tested.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace napix {
namespace detail {

/// One step into a nested value: an array index or an object key. A key is a view: it must outlive
/// the step (converters push a step only for the duration of the nested conversion).
struct PathSegment {
  std::string_view key;
  std::uint32_t index = 0;
  bool is_index = false;
};

/// True for keys that can follow a dot in JS source: ASCII identifier characters only, so a key
/// such as "café" is written `["café"]` (also valid JS, and never wrong). Thread: any.
inline bool is_identifier(std::string_view key) {
  if (key.empty()) return false;
  auto start = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$';
  };
  if (!start(key[0])) return false;
  for (char c : key.substr(1)) {
    if (!start(c) && !(c >= '0' && c <= '9')) return false;
  }
  return true;
}

/// Appends `text` as a JSON string literal: quotes, backslashes and control characters escaped,
/// everything else (UTF-8 included) as is. Thread: any.
inline void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
          out += escaped;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

/// The path written out: indices `[2]`, identifier keys `.size` (no dot when first: `size[0]`),
/// other keys `["a b"]`. Empty for no segments. Thread: any.
inline std::string format_path(const std::vector<PathSegment>& path) {
  std::string out;
  for (const PathSegment& segment : path) {
    if (segment.is_index) {
      out += '[';
      out += std::to_string(segment.index);
      out += ']';
    } else if (is_identifier(segment.key)) {
      if (!out.empty()) out += '.';
      out += segment.key;
    } else {
      out += '[';
      append_json_string(out, segment.key);
      out += ']';
    }
  }
  return out;
}

/// The one message format of conversion failures: `expected <expected> at <path>, got <received>`,
/// or without ` at <path>` when the path is empty. Thread: any.
inline std::string format_failure(std::string_view expected, std::string_view path,
                                  std::string_view received) {
  std::string out = "expected ";
  out += expected;
  if (!path.empty()) {
    out += " at ";
    out += path;
  }
  out += ", got ";
  out += received;
  return out;
}

}  // namespace detail
}  // namespace napix
