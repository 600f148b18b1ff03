#include "shopify-sim/cost.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pagelift::shopify_sim {

namespace json = boost::json;

namespace {

// GraphQL lexical tokens, with strings, comments, commas and whitespace dropped (they never change the cost).
struct Token {
  enum class Kind { kName, kPunct, kNumber, kString, kVariable, kSpread } kind;
  std::string text;
};

Result<std::vector<Token>> Tokenize(std::string_view doc) {
  std::vector<Token> tokens;
  size_t i = 0;
  auto is_name_start = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; };
  auto is_name_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  while (i < doc.size()) {
    const char c = doc[i];
    if (std::isspace(static_cast<unsigned char>(c)) || c == ',') {
      ++i;
    } else if (c == '#') {
      while (i < doc.size() && doc[i] != '\n') ++i;
    } else if (c == '"') {
      const bool block = doc.substr(i, 3) == "\"\"\"";
      if (block) {
        const auto end = doc.find("\"\"\"", i + 3);
        if (end == std::string_view::npos) return MakeError(ErrorCode::kBadRequest, "unterminated block string");
        i = end + 3;
      } else {
        ++i;
        while (i < doc.size() && doc[i] != '"') i += doc[i] == '\\' ? 2 : 1;
        if (i >= doc.size()) return MakeError(ErrorCode::kBadRequest, "unterminated string");
        ++i;
      }
      tokens.push_back({Token::Kind::kString, ""});
    } else if (doc.substr(i, 3) == "...") {
      tokens.push_back({Token::Kind::kSpread, "..."});
      i += 3;
    } else if (c == '$') {
      size_t j = i + 1;
      while (j < doc.size() && is_name_char(doc[j])) ++j;
      tokens.push_back({Token::Kind::kVariable, std::string(doc.substr(i + 1, j - i - 1))});
      i = j;
    } else if (is_name_start(c)) {
      size_t j = i;
      while (j < doc.size() && is_name_char(doc[j])) ++j;
      tokens.push_back({Token::Kind::kName, std::string(doc.substr(i, j - i))});
      i = j;
    } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '-') {
      size_t j = i + 1;
      while (j < doc.size() && (std::isalnum(static_cast<unsigned char>(doc[j])) || doc[j] == '.' || doc[j] == '+' || doc[j] == '-')) ++j;
      tokens.push_back({Token::Kind::kNumber, std::string(doc.substr(i, j - i))});
      i = j;
    } else {
      tokens.push_back({Token::Kind::kPunct, std::string(1, c)});
      ++i;
    }
  }
  return tokens;
}

struct Field {
  std::string name;
  std::string key;  // the response key: the alias, or the name
  std::optional<long long> page_size;  // `first` or `last`: a connection
  bool has_selection = false;
  std::vector<Field> children;
};

class Parser {
 public:
  // `need_page_sizes`: a `first`/`last` variable missing from `variables` is an error (costing needs it).
  Parser(std::vector<Token> tokens, const json::object& variables, bool need_page_sizes = true)
      : tokens_(std::move(tokens)), variables_(variables), need_page_sizes_(need_page_sizes) {}

  // The cost of the first operation in the document.
  Result<int> Cost() {
    std::vector<Field> root;
    bool mutation = false;
    if (auto read = Root(root, mutation); !read.ok()) return read.error();
    long long cost = 0;
    for (const auto& field : root) cost += mutation ? kMutationCost : FieldCost(field);
    return static_cast<int>(std::min<long long>(cost, 1'000'000'000));
  }

  // The root selection set of the first operation.
  Result<void> Root(std::vector<Field>& root, bool& mutation) {
    // Fragment definitions may come before or after the operation: index them first.
    for (size_t i = 0; i + 1 < tokens_.size(); ++i) {
      if (IsName(i, "fragment") && i + 1 < tokens_.size() && tokens_[i + 1].kind == Token::Kind::kName &&
          (i == 0 || IsPunct(i - 1, "}"))) {
        fragments_[tokens_[i + 1].text] = i;
      }
    }
    size_t pos = 0;
    mutation = false;
    while (pos < tokens_.size() && IsName(pos, "fragment")) {
      pos = SkipFragment(pos);
      if (failed_) return error_;
    }
    if (pos >= tokens_.size()) return MakeError(ErrorCode::kBadRequest, "the document has no operation");
    if (tokens_[pos].kind == Token::Kind::kName) {
      mutation = tokens_[pos].text == "mutation";
      ++pos;
      if (pos < tokens_.size() && tokens_[pos].kind == Token::Kind::kName) ++pos;  // operation name
      if (IsPunct(pos, "(")) pos = ReadVariableDefinitions(pos);
      pos = SkipDirectives(pos);
    }
    if (!IsPunct(pos, "{")) return MakeError(ErrorCode::kBadRequest, "expected a selection set");
    ReadSelectionSet(pos, root, 0);
    if (failed_) return error_;
    return {};
  }

 private:
  bool IsPunct(size_t i, const char* text) const {
    return i < tokens_.size() && tokens_[i].kind == Token::Kind::kPunct && tokens_[i].text == text;
  }
  bool IsName(size_t i, const char* text) const {
    return i < tokens_.size() && tokens_[i].kind == Token::Kind::kName && tokens_[i].text == text;
  }
  size_t Fail(std::string message) {
    if (!failed_) error_ = MakeError(ErrorCode::kBadRequest, std::move(message));
    failed_ = true;
    return tokens_.size();
  }

  // Skips a balanced (...) / [...] / {...} group starting at `pos`; returns the position after it.
  size_t SkipGroup(size_t pos) {
    int depth = 0;
    for (size_t i = pos; i < tokens_.size(); ++i) {
      if (tokens_[i].kind != Token::Kind::kPunct) continue;
      const auto& t = tokens_[i].text;
      if (t == "(" || t == "[" || t == "{") ++depth;
      if (t == ")" || t == "]" || t == "}") {
        if (--depth == 0) return i + 1;
      }
    }
    return Fail("unbalanced brackets");
  }

  size_t SkipDirectives(size_t pos) {
    while (IsPunct(pos, "@")) {
      pos += 2;
      if (IsPunct(pos, "(")) pos = SkipGroup(pos);
    }
    return pos;
  }

  size_t SkipFragment(size_t pos) {
    while (pos < tokens_.size() && !IsPunct(pos, "{")) ++pos;
    return SkipGroup(pos);
  }

  // ($first: Int = 50, $after: String): records integer defaults.
  size_t ReadVariableDefinitions(size_t pos) {
    const size_t end = SkipGroup(pos);
    for (size_t i = pos; i + 1 < end; ++i) {
      if (tokens_[i].kind != Token::Kind::kVariable) continue;
      for (size_t j = i + 1; j + 1 < end && tokens_[j].kind != Token::Kind::kVariable; ++j) {
        if (IsPunct(j, "=") && tokens_[j + 1].kind == Token::Kind::kNumber) {
          defaults_[tokens_[i].text] = std::stoll(tokens_[j + 1].text);
        }
      }
    }
    return end;
  }

  std::optional<long long> IntValue(size_t i) {
    if (i >= tokens_.size()) return std::nullopt;
    if (tokens_[i].kind == Token::Kind::kNumber) {
      try {
        return std::stoll(tokens_[i].text);
      } catch (const std::exception&) {
        return std::nullopt;
      }
    }
    if (tokens_[i].kind == Token::Kind::kVariable) {
      const auto* value = variables_.if_contains(tokens_[i].text);
      if (value && value->is_int64()) return value->as_int64();
      if (value && value->is_uint64()) return static_cast<long long>(value->as_uint64());
      const auto fallback = defaults_.find(tokens_[i].text);
      if (fallback != defaults_.end()) return fallback->second;
      if (need_page_sizes_) Fail(fmt::format("variable ${} must be an integer", tokens_[i].text));
    }
    return std::nullopt;
  }

  // Reads the arguments group at `pos`, noting first/last; returns the position after it.
  size_t ReadArguments(size_t pos, Field& field) {
    const size_t end = SkipGroup(pos);
    int depth = 0;
    for (size_t i = pos; i < end; ++i) {
      if (tokens_[i].kind == Token::Kind::kPunct) {
        const auto& t = tokens_[i].text;
        if (t == "(" || t == "[" || t == "{") ++depth;
        if (t == ")" || t == "]" || t == "}") --depth;
      }
      if (depth == 1 && (IsName(i, "first") || IsName(i, "last")) && IsPunct(i + 1, ":")) {
        auto value = IntValue(i + 2);
        if (value) field.page_size = *value;
      }
    }
    return end;
  }

  // Reads "{ … }" at `pos` into `out` (inline fragments and fragment spreads are flattened into it).
  size_t ReadSelectionSet(size_t pos, std::vector<Field>& out, int depth) {
    if (depth > 30) return Fail("selection sets nested too deeply");
    ++pos;  // "{"
    while (pos < tokens_.size() && !IsPunct(pos, "}")) {
      if (failed_) return tokens_.size();
      if (tokens_[pos].kind == Token::Kind::kSpread) {
        ++pos;
        if (IsName(pos, "on")) pos += 2;  // inline fragment with a type condition
        if (pos < tokens_.size() && tokens_[pos].kind == Token::Kind::kName && !IsPunct(pos, "{")) {
          const auto fragment = fragments_.find(tokens_[pos].text);
          ++pos;
          if (fragment != fragments_.end()) {
            size_t body = fragment->second;
            while (body < tokens_.size() && !IsPunct(body, "{")) ++body;
            ReadSelectionSet(body, out, depth + 1);
          }
        }
        pos = SkipDirectives(pos);
        if (IsPunct(pos, "{")) pos = ReadSelectionSet(pos, out, depth + 1);
        continue;
      }
      if (tokens_[pos].kind != Token::Kind::kName) return Fail("expected a field name");
      Field field;
      field.name = tokens_[pos++].text;
      field.key = field.name;
      if (IsPunct(pos, ":") && pos + 1 < tokens_.size() && tokens_[pos + 1].kind == Token::Kind::kName) {
        field.name = tokens_[pos + 1].text;  // alias: the field is what follows
        pos += 2;
      }
      if (IsPunct(pos, "(")) pos = ReadArguments(pos, field);
      pos = SkipDirectives(pos);
      if (IsPunct(pos, "{")) {
        field.has_selection = true;
        pos = ReadSelectionSet(pos, field.children, depth + 1);
      }
      out.push_back(std::move(field));
    }
    if (pos >= tokens_.size()) return Fail("unbalanced braces");
    return pos + 1;
  }

  static long long SumCost(const std::vector<Field>& fields) {
    long long sum = 0;
    for (const auto& field : fields) sum += FieldCost(field);
    return sum;
  }

  static long long FieldCost(const Field& field) {
    if (!field.has_selection) return 0;
    if (!field.page_size) return 1 + SumCost(field.children);
    // A connection: 2, plus `first` times one node, plus what sits beside the nodes (pageInfo is free).
    long long per_node = 0;
    long long once = 0;
    for (const auto& child : field.children) {
      if (child.name == "edges") {
        for (const auto& edge_child : child.children) {
          if (edge_child.name == "node") per_node += 1 + SumCost(edge_child.children);
        }
      } else if (child.name == "nodes") {
        per_node += 1 + SumCost(child.children);
      } else if (child.name != "pageInfo") {
        once += FieldCost(child);
      }
    }
    return 2 + std::max(0LL, *field.page_size) * per_node + once;
  }

  std::vector<Token> tokens_;
  const json::object& variables_;
  bool need_page_sizes_;
  std::map<std::string, long long> defaults_;
  std::map<std::string, size_t> fragments_;
  bool failed_ = false;
  Error error_;
};

void CollectMissing(const std::vector<Field>& fields, const json::value& data, const std::string& path,
                    std::vector<std::string>& missing) {
  if (data.is_array()) {
    for (const auto& item : data.as_array()) CollectMissing(fields, item, path, missing);
    return;
  }
  if (!data.is_object()) return;  // null (or a scalar where an object was expected: not this check's concern)
  for (const auto& field : fields) {
    const std::string here = path.empty() ? field.key : path + "." + field.key;
    const auto* value = data.as_object().if_contains(field.key);
    if (!value) {
      if (std::find(missing.begin(), missing.end(), here) == missing.end()) missing.push_back(here);
      continue;
    }
    if (field.has_selection) CollectMissing(field.children, *value, here, missing);
  }
}

}  // namespace

Result<std::vector<std::string>> MissingFields(std::string_view document, const json::value& data) {
  auto tokens = Tokenize(document);
  if (!tokens) return tokens.error();
  const json::object no_variables;
  Parser parser(std::move(*tokens), no_variables, false);
  std::vector<Field> root;
  bool mutation = false;
  if (auto read = parser.Root(root, mutation); !read.ok()) return read.error();
  std::vector<std::string> missing;
  CollectMissing(root, data, "", missing);
  return missing;
}

Result<int> RequestedQueryCost(std::string_view document, const json::object& variables) {
  auto tokens = Tokenize(document);
  if (!tokens) return tokens.error();
  return Parser(std::move(*tokens), variables).Cost();
}

void CostBucket::Restore(Clock::time_point now) {
  if (now > updated_) {
    available_ = std::min(maximum_, available_ + restore_rate_ * std::chrono::duration<double>(now - updated_).count());
    updated_ = now;
  }
}

bool CostBucket::TryTake(double cost, Clock::time_point now) {
  Restore(now);
  if (available_ < cost) return false;
  available_ -= cost;
  return true;
}

void CostBucket::Refund(double points, Clock::time_point now) {
  Restore(now);
  available_ = std::min(maximum_, available_ + points);
}

double CostBucket::Available(Clock::time_point now) {
  Restore(now);
  return available_;
}

void CostBucket::Set(double available, double restore_rate, Clock::time_point now) {
  Restore(now);
  available_ = std::clamp(available, 0.0, maximum_);
  restore_rate_ = restore_rate;
}

json::object CostBucket::ThrottleStatus(Clock::time_point now) {
  Restore(now);
  // Shopify reports whole points.
  return {{"maximumAvailable", static_cast<double>(static_cast<long long>(maximum_))},
          {"currentlyAvailable", static_cast<long long>(available_)},
          {"restoreRate", static_cast<double>(static_cast<long long>(restore_rate_))}};
}

}  // namespace pagelift::shopify_sim
