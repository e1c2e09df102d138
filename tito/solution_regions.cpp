// solution_regions.cpp — finding solution regions, naming their functions, stubbing and restoring them.
//
// The C++ scan is deliberately small: a tokenizer that skips comments, string/char/raw
// literals and preprocessor lines, and a scope stack that classifies each '{' from the
// tokens of the statement before it (namespace, class, function body, lambda body,
// block, or a braced initializer). That is enough to name the function around a region,
// list its parameters and the local variables declared before it — no types are resolved.
#include "tito/solution_regions.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>
#include <set>

namespace tito {

namespace {

// ---- lines -------------------------------------------------------------------------------

struct Line {
  std::size_t begin = 0;  // first byte
  std::size_t end = 0;    // one past the last byte before '\n' (or the end of the text)
  std::size_t next = 0;   // first byte of the following line
};

std::vector<Line> split_lines(std::string_view text) {
  std::vector<Line> lines;
  std::size_t begin = 0;
  while (begin < text.size()) {
    const std::size_t newline = text.find('\n', begin);
    if (newline == std::string_view::npos) {
      lines.push_back({begin, text.size(), text.size()});
      break;
    }
    lines.push_back({begin, newline, newline + 1});
    begin = newline + 1;
  }
  return lines;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }
bool is_ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ident_char(char c) { return is_ident_start(c) || is_digit(c); }

// ---- tokens ------------------------------------------------------------------------------

enum class TokenKind { identifier, number, punctuation, literal, placeholder };

struct Token {
  TokenKind kind = TokenKind::punctuation;
  std::string_view text;
  std::size_t offset = 0;

  bool is(std::string_view s) const { return kind != TokenKind::literal && text == s; }
  bool is_identifier() const { return kind == TokenKind::identifier; }
};

// A nested braced group (initializer, lambda body, class body) inside a statement.
const Token kBracedGroup{TokenKind::placeholder, "{}", 0};

std::size_t skip_quoted(std::string_view text, std::size_t i, char quote) {
  ++i;  // the opening quote
  while (i < text.size() && text[i] != quote && text[i] != '\n') i += text[i] == '\\' ? 2 : 1;
  return std::min(i + 1, text.size());
}

// R"delim( ... )delim" starting at the quote.
std::size_t skip_raw_string(std::string_view text, std::size_t quote) {
  const std::size_t open = text.find('(', quote);
  if (open == std::string_view::npos) return text.size();
  std::string closing(1, ')');
  closing.append(text.substr(quote + 1, open - quote - 1));
  closing.push_back('"');
  const std::size_t close = text.find(closing, open);
  return close == std::string_view::npos ? text.size() : close + closing.size();
}

std::vector<Token> tokenize(std::string_view text) {
  std::vector<Token> tokens;
  std::size_t i = 0;
  bool line_start = true;  // only white space so far on this line
  while (i < text.size()) {
    const char c = text[i];
    if (c == '\n') {
      line_start = true;
      ++i;
      continue;
    }
    if (is_space(c)) {
      ++i;
      continue;
    }
    if (c == '#' && line_start) {  // a preprocessor line, with its continuations
      while (i < text.size() && text[i] != '\n') {
        if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
        else if (text.substr(i, 2) == "/*") {
          const std::size_t close = text.find("*/", i + 2);
          i = close == std::string_view::npos ? text.size() : close + 1;
        }
        ++i;
      }
      continue;
    }
    line_start = false;
    if (text.substr(i, 2) == "//") {
      while (i < text.size() && text[i] != '\n') ++i;
      continue;
    }
    if (text.substr(i, 2) == "/*") {
      const std::size_t close = text.find("*/", i + 2);
      i = close == std::string_view::npos ? text.size() : close + 2;
      continue;
    }
    const std::size_t start = i;
    if (is_ident_start(c)) {
      while (i < text.size() && is_ident_char(text[i])) ++i;
      const std::string_view word = text.substr(start, i - start);
      const bool raw_prefix = word == "R" || word == "LR" || word == "uR" || word == "UR" || word == "u8R";
      if (i < text.size() && text[i] == '"') {  // an encoding prefix: the token is the literal
        i = raw_prefix ? skip_raw_string(text, i) : skip_quoted(text, i, '"');
        tokens.push_back({TokenKind::literal, text.substr(start, i - start), start});
      } else if (i < text.size() && text[i] == '\'' && (word == "L" || word == "u" || word == "U" || word == "u8")) {
        i = skip_quoted(text, i, '\'');
        tokens.push_back({TokenKind::literal, text.substr(start, i - start), start});
      } else {
        tokens.push_back({TokenKind::identifier, word, start});
      }
      continue;
    }
    if (is_digit(c) || (c == '.' && i + 1 < text.size() && is_digit(text[i + 1]))) {
      while (i < text.size()) {
        const char d = text[i];
        if (is_ident_char(d) || d == '.' || (d == '\'' && i + 1 < text.size() && is_ident_char(text[i + 1]))) {
          ++i;
        } else if ((d == '+' || d == '-') && (text[i - 1] == 'e' || text[i - 1] == 'E' || text[i - 1] == 'p' ||
                                              text[i - 1] == 'P')) {
          ++i;
        } else {
          break;
        }
      }
      tokens.push_back({TokenKind::number, text.substr(start, i - start), start});
      continue;
    }
    if (c == '"' || c == '\'') {
      i = skip_quoted(text, i, c);
      tokens.push_back({TokenKind::literal, text.substr(start, i - start), start});
      continue;
    }
    std::size_t length = 1;
    for (std::string_view multi : {"...", "::", "->"}) {
      if (text.substr(i, multi.size()) == multi) {
        length = multi.size();
        break;
      }
    }
    tokens.push_back({TokenKind::punctuation, text.substr(i, length), i});
    i += length;
  }
  return tokens;
}

// ---- token helpers -----------------------------------------------------------------------

using Tokens = std::vector<Token>;

bool one_of(const Token& t, std::initializer_list<std::string_view> words) {
  return std::any_of(words.begin(), words.end(), [&](std::string_view w) { return t.is(w); });
}

// Words that are never the name of a variable or parameter.
bool is_keyword(const Token& t) {
  static const std::set<std::string_view> keywords = {
      "alignas", "alignof", "auto", "bool", "break", "case", "catch", "char", "class", "const", "consteval",
      "constexpr", "constinit", "continue", "decltype", "default", "delete", "do", "double", "else", "enum",
      "explicit", "extern", "false", "final", "float", "for", "friend", "goto", "if", "inline", "int", "long",
      "mutable", "namespace", "new", "noexcept", "nullptr", "operator", "override", "private", "protected", "public",
      "register", "requires", "return", "short", "signed", "sizeof", "static", "static_assert", "struct", "switch",
      "template", "this", "thread_local", "throw", "true", "try", "typedef", "typename", "union", "unsigned", "using",
      "virtual", "void", "volatile", "while", "co_return", "co_await", "co_yield"};
  return t.is_identifier() && keywords.count(t.text) != 0;
}

bool is_opening(const Token& t) { return t.is("(") || t.is("[") || t.is("{"); }
bool is_closing(const Token& t) { return t.is(")") || t.is("]") || t.is("}"); }

// Index of the token closing the group opened at `open` ((, [, { or a template '<'), or tokens.size().
std::size_t matching_close(const Tokens& tokens, std::size_t open) {
  const bool angle = tokens[open].is("<");
  int depth = 0;
  for (std::size_t i = open; i < tokens.size(); ++i) {
    if (is_opening(tokens[i]) || (angle && tokens[i].is("<"))) ++depth;
    if (is_closing(tokens[i]) || (angle && tokens[i].is(">"))) {
      if (--depth == 0) return i;
    }
  }
  return tokens.size();
}

// Index of the token opening the group closed at `close` (), ] or a template '>'), or npos.
std::size_t matching_open(const Tokens& tokens, std::size_t close) {
  const bool angle = tokens[close].is(">");
  int depth = 0;
  for (std::size_t i = close + 1; i-- > 0;) {
    if (is_closing(tokens[i]) || (angle && tokens[i].is(">"))) ++depth;
    if (is_opening(tokens[i]) || (angle && tokens[i].is("<"))) {
      if (--depth == 0) return i;
    }
  }
  return std::string_view::npos;
}

// Splits `tokens` at commas outside (), [], {} and template <>.
std::vector<Tokens> split_top_level(const Tokens& tokens, std::string_view separator) {
  std::vector<Tokens> parts(1);
  int depth = 0;
  int angle = 0;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    if (is_opening(t)) ++depth;
    if (is_closing(t)) --depth;
    if (depth == 0 && t.is("<") && i > 0 && (tokens[i - 1].is_identifier() || tokens[i - 1].is("template"))) ++angle;
    if (depth == 0 && t.is(">") && angle > 0) --angle;
    if (depth == 0 && angle == 0 && t.is(separator)) {
      parts.emplace_back();
      continue;
    }
    parts.back().push_back(t);
  }
  if (parts.size() == 1 && parts[0].empty()) parts.clear();
  return parts;
}

// Drops [[attributes]].
Tokens without_attributes(const Tokens& tokens) {
  Tokens out;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].is("[") && i + 1 < tokens.size() && tokens[i + 1].is("[")) {
      i = matching_close(tokens, i);
      continue;
    }
    out.push_back(tokens[i]);
  }
  return out;
}

// ---- declarations ------------------------------------------------------------------------

struct Declared {
  std::vector<std::string> names;
  std::vector<std::string> packs;
};

// The names of a structured binding "auto& [a, b]" whose '[' is at `open`.
void add_binding_names(const Tokens& tokens, std::size_t open, Declared& out) {
  const std::size_t close = matching_close(tokens, open);
  for (std::size_t i = open + 1; i < close && i < tokens.size(); ++i) {
    if (tokens[i].is_identifier()) out.names.emplace_back(tokens[i].text);
  }
}

// The name a parameter declaration introduces, if any: "const Tensor& x" -> x,
// "const Tensor&" -> none, "float values[]" -> values, "Args&&... args" -> args (a pack).
void add_parameter_name(Tokens p, Declared& out) {
  p = without_attributes(p);
  const auto parts = split_top_level(p, "=");
  if (parts.empty()) return;
  p = parts[0];                                          // without a default argument
  while (!p.empty() && p.back().is("]")) {               // array parameters
    const std::size_t open = matching_open(p, p.size() - 1);
    if (open == std::string_view::npos) return;
    p.resize(open);
  }
  if (p.size() < 2) return;  // "int", "void", "Tensor"
  for (std::size_t i = 1; i + 1 < p.size(); ++i) {  // a structured binding (range-for declarations)
    if (p[i].is("[") && (p[i - 1].is("auto") || p[i - 1].is("&"))) {
      add_binding_names(p, i, out);
      return;
    }
  }
  if (p.back().is(")")) {  // a function pointer: void (*fn)(int)
    for (std::size_t i = 0; i + 2 < p.size(); ++i) {
      if (p[i].is("(") && (p[i + 1].is("*") || p[i + 1].is("&")) && p[i + 2].is_identifier()) {
        out.names.emplace_back(p[i + 2].text);
        return;
      }
    }
    return;
  }
  const Token& last = p.back();
  const Token& before = p[p.size() - 2];
  if (!last.is_identifier() || is_keyword(last) || before.is("::") || before.is(".") || before.is("->")) return;
  const bool only_qualifiers = std::all_of(p.begin(), p.end() - 1, [](const Token& t) {
    return one_of(t, {"const", "volatile", "struct", "class", "typename", "enum", "unsigned", "signed"});
  });
  if (only_qualifiers) return;  // "const Tensor": the last word is the type
  out.names.emplace_back(last.text);
  if (before.is("...")) out.packs.emplace_back(last.text);
}

Declared parameters_of(const Tokens& inside_parens) {
  Declared declared;
  for (const Tokens& p : split_top_level(inside_parens, ",")) add_parameter_name(p, declared);
  return declared;
}

// The names after the first declarator of a declaration: "const int64_t a = 1, b = 2, *c;" -> b, c.
// A comma inside (), {}, [] or the type's template <> separates nothing. In an initializer a
// '<' is read as less-than ("int s = a < b, t;" declares t); a template argument list there
// ("= f<int, float>(x)") yields a piece that is not a declarator, and is skipped.
void add_later_declarators(const Tokens& declaration, Declared& out) {
  std::vector<Tokens> declarators(1);
  int depth = 0, angle = 0;
  bool in_initializer = false;
  for (std::size_t i = 0; i < declaration.size(); ++i) {
    const Token& t = declaration[i];
    if (is_opening(t)) ++depth;
    if (is_closing(t)) --depth;
    if (depth == 0 && !in_initializer) {
      if (t.is("<") && i > 0 && declaration[i - 1].is_identifier()) ++angle;
      if (t.is(">") && angle > 0) --angle;
    }
    if (depth == 0 && angle == 0 && t.is("=")) in_initializer = true;
    if (depth == 0 && angle == 0 && t.is(",")) {
      declarators.emplace_back();
      in_initializer = false;
      continue;
    }
    declarators.back().push_back(t);
  }
  for (std::size_t d = 1; d < declarators.size(); ++d) {
    const Tokens& part = declarators[d];
    std::size_t i = 0;
    while (i < part.size() && (part[i].is("*") || part[i].is("&") || part[i].is("const"))) ++i;
    if (i >= part.size() || !part[i].is_identifier() || is_keyword(part[i])) continue;
    const bool ends_declarator = i + 1 == part.size() || one_of(part[i + 1], {"=", "(", "{", "[", ";"});
    if (ends_declarator) out.names.emplace_back(part[i].text);
  }
}

// The variables a statement declares, if it is a declaration: "const float s = x / 2;" -> s,
// "Tensor t(shape);" -> t, "auto [a, b] = f();" -> a, b, "int64_t m = 1, n = 2;" -> m, n.
Declared declared_by_statement(const Tokens& statement_tokens) {
  Declared declared;
  const Tokens tokens = without_attributes(statement_tokens);
  if (tokens.size() < 2) return declared;
  if (one_of(tokens[0], {"return", "if", "for", "while", "switch", "do", "else", "throw", "delete", "goto", "break",
                         "continue", "case", "default", "using", "typedef", "static_assert", "co_return", "co_yield",
                         "try", "catch", "namespace", "template", "friend", "public", "private", "protected", "asm",
                         "new", "struct", "class", "union", "enum"})) {
    return declared;
  }
  // The declarator part: up to the first '=', '(', '{…}', '[', ':', ',' outside template <>.
  int angle = 0;
  std::size_t stop = tokens.size();
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    if (t.is("[") && i > 0 && (tokens[i - 1].is("auto") || tokens[i - 1].is("&"))) {  // structured binding
      add_binding_names(tokens, i, declared);
      return declared;
    }
    if (t.is(".") || t.is("->")) return declared;  // a member access: an expression
    if (t.is("<") && i > 0 && tokens[i - 1].is_identifier()) ++angle;
    else if (t.is(">") && angle > 0) --angle;
    else if (angle == 0 && (one_of(t, {"=", "(", "[", ":", ",", ";"}) || t.kind == TokenKind::placeholder)) {
      stop = i;
      break;
    }
  }
  if (angle != 0 || stop < 2) return declared;
  const Token& name = tokens[stop - 1];
  const Token& before = tokens[stop - 2];
  if (!name.is_identifier() || is_keyword(name)) return declared;
  if (!(before.is_identifier() || before.is(">") || before.is("*") || before.is("&"))) return declared;
  if (before.is_identifier() && one_of(before, {"const", "volatile", "unsigned", "signed"}) && stop == 2) {
    return declared;
  }
  declared.names.emplace_back(name.text);
  add_later_declarators(tokens, declared);
  return declared;
}

// ---- scopes ------------------------------------------------------------------------------

enum class ScopeKind { file, name_space, class_body, function, lambda, block, initializer };

struct Scope {
  ScopeKind kind = ScopeKind::file;
  std::string name;  // namespace or class name; a function's declarator ("QuantizedLinear::forward")
  Declared parameters;
  Declared locals;
  bool default_capture = false;  // a lambda with [&] or [=]
  std::size_t open_offset = 0;
  Tokens head;  // the statement in progress at this level
  int paren_depth = 0;
};

// The classification of a '{' and what the new scope knows.
struct Opening {
  ScopeKind kind = ScopeKind::initializer;
  std::string name;
  Declared parameters;
  bool default_capture = false;
};

// A lambda introducer ends `head`: "[&](int i) mutable -> float", "[&]", "[this, x]".
std::optional<Opening> lambda_opening(const Tokens& head) {
  if (head.empty()) return std::nullopt;
  std::size_t j = head.size() - 1;
  auto skip_specifiers = [&]() {
    while (j > 0 && one_of(head[j], {"mutable", "constexpr", "consteval", "noexcept", "static"})) --j;
  };
  skip_specifiers();
  // A trailing return type "-> T": identifiers, ::, *, &, template arguments.
  for (std::size_t k = j + 1; k-- > 0;) {
    const Token& t = head[k];
    if (t.is(">")) {
      const std::size_t open = matching_open(head, k);
      if (open == std::string_view::npos) break;
      k = open;
      continue;
    }
    if (t.is("->")) {
      if (k == 0) return std::nullopt;
      j = k - 1;
      skip_specifiers();
      break;
    }
    if (!(t.is_identifier() || t.is("::") || t.is("*") || t.is("&"))) break;
  }
  Opening opening;
  opening.kind = ScopeKind::lambda;
  if (head[j].is(")")) {
    const std::size_t open = matching_open(head, j);
    if (open == std::string_view::npos || open == 0) return std::nullopt;
    opening.parameters = parameters_of(Tokens(head.begin() + static_cast<std::ptrdiff_t>(open) + 1,
                                              head.begin() + static_cast<std::ptrdiff_t>(j)));
    j = open - 1;
  }
  if (!head[j].is("]")) return std::nullopt;
  const std::size_t open = matching_open(head, j);
  if (open == std::string_view::npos) return std::nullopt;
  if (open > 0) {  // "a[i] {" is a subscript; "[[attr]]" an attribute
    const Token& before = head[open - 1];
    const bool after_value = (before.is_identifier() && !one_of(before, {"return", "co_return", "co_yield"})) ||
                             before.is(")") || before.is("]") || before.is("[") ||
                             before.kind == TokenKind::placeholder || before.kind == TokenKind::number ||
                             before.kind == TokenKind::literal;
    if (after_value) return std::nullopt;
  }
  if (open + 1 < j) {
    const Token& first = head[open + 1];
    const bool alone_or_first = open + 2 == j || head[open + 2].is(",");
    opening.default_capture = (first.is("&") || first.is("=")) && alone_or_first;
  }
  return opening;
}

// "std::vector<int>" backwards from the name at `k`: "QuantizedLinear::forward", "~Tensor".
std::string qualified_name_ending_at(const Tokens& head, std::size_t first, std::size_t k) {
  std::string name(head[k].text);
  if (k > first && head[k - 1].is("~")) {
    name = "~" + name;
    --k;
  }
  while (k >= first + 2 && head[k - 1].is("::")) {
    std::size_t q = k - 2;
    if (head[q].is(">")) {  // Foo<T>::bar — drop the template arguments
      const std::size_t open = matching_open(head, q);
      if (open == std::string_view::npos || open == 0 || open < first + 1) break;
      q = open - 1;
    }
    if (!head[q].is_identifier()) break;
    name = std::string(head[q].text) + "::" + name;
    k = q;
  }
  return name;
}

// What a '{' opens at namespace or class level, given the declaration before it.
Opening declaration_opening(const Tokens& raw_head) {
  const Tokens head = without_attributes(raw_head);
  Opening opening;
  std::size_t i = 0;
  while (i + 1 < head.size() && head[i].is("template") && head[i + 1].is("<")) i = matching_close(head, i + 1) + 1;
  if (i >= head.size()) return opening;
  for (std::size_t k = i; k < head.size(); ++k) {
    if (head[k].is("namespace")) {
      opening.kind = ScopeKind::name_space;
      for (std::size_t n = k + 1; n < head.size(); ++n) opening.name += head[n].text;
      return opening;
    }
  }
  if (head[i].is("extern") && i + 1 < head.size() && head[i + 1].kind == TokenKind::literal) {
    opening.kind = ScopeKind::name_space;  // extern "C" { ... }: transparent
    return opening;
  }
  if (one_of(head[i], {"enum"})) return opening;
  if (one_of(head[i], {"class", "struct", "union"})) {
    // "struct alignas(64) Tile : Base<T> {" — a class body unless a '(' or '=' says it is a
    // function returning the class ("struct X make() {") or a variable ("struct X x = {").
    bool class_body = true;
    std::string name;
    for (std::size_t n = i + 1; n < head.size(); ++n) {
      if (head[n].is("alignas") && n + 1 < head.size() && head[n + 1].is("(")) {
        n = matching_close(head, n + 1);
        continue;
      }
      if (head[n].is("(") || head[n].is("=")) class_body = false;
      if (name.empty() && head[n].is_identifier() && !is_keyword(head[n])) name = std::string(head[n].text);
    }
    if (class_body) {
      opening.kind = ScopeKind::class_body;
      opening.name = name;
      return opening;
    }
  }
  // A function definition: the first '(' after a declarator name, outside template <>.
  int angle = 0;
  for (std::size_t k = i; k < head.size(); ++k) {
    const Token& t = head[k];
    if (t.is("=") && angle == 0) return opening;  // "auto x = ...{": an initializer
    if (t.is("operator")) {
      std::size_t open = k + 1;
      if (open + 1 < head.size() && head[open].is("(") && head[open + 1].is(")")) open += 2;
      while (open < head.size() && !head[open].is("(")) ++open;
      if (open >= head.size()) return opening;
      std::string name = "operator";
      for (std::size_t n = k + 1; n < open; ++n) {
        if (head[n].is_identifier()) name += " ";  // "operator bool"
        name += head[n].text;
      }
      if (k > i && head[k - 1].is("::")) {
        const std::string qualifier = qualified_name_ending_at(head, i, k - 2);
        name = qualifier + "::" + name;
      }
      opening.kind = ScopeKind::function;
      opening.name = name;
      const std::size_t close = matching_close(head, open);
      opening.parameters = parameters_of(Tokens(head.begin() + static_cast<std::ptrdiff_t>(open) + 1,
                                                head.begin() + static_cast<std::ptrdiff_t>(std::min(close, head.size()))));
      return opening;
    }
    if (t.is("<") && k > i && (head[k - 1].is_identifier() || head[k - 1].is("template"))) {
      ++angle;
      continue;
    }
    if (t.is(">") && angle > 0) {
      --angle;
      continue;
    }
    if (t.is("(") && angle == 0) {
      const bool declarator = k > i && head[k - 1].is_identifier() &&
                              !one_of(head[k - 1], {"decltype", "alignas", "noexcept", "requires", "sizeof",
                                                    "alignof", "__attribute__", "__declspec", "static_assert",
                                                    "throw", "typeid"});
      const std::size_t close = matching_close(head, k);
      if (!declarator) {
        k = close;
        continue;
      }
      if (close >= head.size()) return opening;
      // After the parameters: a constructor's member initializer list ": a_{x}" makes a
      // '{' right after a name (or template arguments) an initializer, not the body.
      bool init_list = false;
      for (std::size_t n = close + 1; n < head.size(); ++n) init_list = init_list || head[n].is(":");
      const Token& last = head.back();
      if (init_list && (last.is_identifier() || last.is(">"))) return opening;
      opening.kind = ScopeKind::function;
      opening.name = qualified_name_ending_at(head, i, k - 1);
      opening.parameters = parameters_of(Tokens(head.begin() + static_cast<std::ptrdiff_t>(k) + 1,
                                                head.begin() + static_cast<std::ptrdiff_t>(close)));
      return opening;
    }
  }
  return opening;  // "int x{3}", "Foo f{...}": an initializer
}

// The '(' ... ')' group that ends `head`, as [open, close], if any.
std::optional<std::pair<std::size_t, std::size_t>> trailing_parens(const Tokens& head) {
  if (head.empty() || !head.back().is(")")) return std::nullopt;
  const std::size_t open = matching_open(head, head.size() - 1);
  if (open == std::string_view::npos) return std::nullopt;
  return std::make_pair(open, head.size() - 1);
}

// What a '{' opens inside a function body.
Opening statement_opening(const Tokens& head) {
  Opening opening;
  opening.kind = ScopeKind::block;
  if (head.empty()) return opening;
  const Token& last = head.back();
  if (one_of(last, {"else", "do", "try"}) || last.is(":")) return opening;
  if (auto parens = trailing_parens(head); parens && parens->first > 0) {
    const Token& keyword = head[parens->first - 1];
    if (one_of(keyword, {"if", "for", "while", "switch", "catch", "constexpr"})) {
      const Tokens inside(head.begin() + static_cast<std::ptrdiff_t>(parens->first) + 1,
                          head.begin() + static_cast<std::ptrdiff_t>(parens->second));
      if (keyword.is("catch")) {
        opening.parameters = parameters_of(inside);
      } else if (keyword.is("for")) {
        const auto clauses = split_top_level(inside, ";");
        if (clauses.size() >= 2) {
          opening.parameters = declared_by_statement(clauses[0]);  // for (int i = 0; ...)
        } else if (const auto range = split_top_level(inside, ":"); range.size() == 2) {
          add_parameter_name(range[0], opening.parameters);  // for (const auto& x : xs)
        }
      }
      return opening;
    }
  }
  if (auto lambda = lambda_opening(head)) return *lambda;
  Opening declaration = declaration_opening(head);
  if (declaration.kind == ScopeKind::class_body) return declaration;
  opening.kind = ScopeKind::initializer;
  return opening;
}

// The scope stack as the scan reaches one offset.
struct Snapshot {
  std::vector<Scope> stack;
};

class ScopeScanner {
 public:
  // Runs over `tokens`, taking a snapshot at each of `offsets` (ascending): the state
  // before the first token at or after it.
  std::vector<Snapshot> scan(const Tokens& tokens, const std::vector<std::size_t>& offsets) {
    std::vector<Snapshot> snapshots;
    stack_.assign(1, Scope{});
    std::size_t next = 0;
    for (const Token& token : tokens) {
      while (next < offsets.size() && offsets[next] <= token.offset) {
        snapshots.push_back({stack_});
        ++next;
      }
      step(token);
    }
    while (next < offsets.size()) {
      snapshots.push_back({stack_});
      ++next;
    }
    return snapshots;
  }

 private:
  void step(const Token& token) {
    Scope& scope = stack_.back();
    if (token.is("{")) {
      open(token);
      return;
    }
    if (token.is("}")) {
      close();
      return;
    }
    if (token.is("(")) ++scope.paren_depth;
    if (token.is(")")) --scope.paren_depth;
    if (token.is(";") && scope.paren_depth <= 0) {
      if (scope.kind == ScopeKind::function || scope.kind == ScopeKind::lambda || scope.kind == ScopeKind::block) {
        const Declared declared = declared_by_statement(scope.head);
        scope.locals.names.insert(scope.locals.names.end(), declared.names.begin(), declared.names.end());
      }
      scope.head.clear();
      scope.paren_depth = 0;
      return;
    }
    if (token.is(":") && scope.kind == ScopeKind::class_body && scope.head.size() == 1 &&
        one_of(scope.head[0], {"public", "private", "protected"})) {
      scope.head.clear();
      return;
    }
    scope.head.push_back(token);
  }

  void open(const Token& token) {
    const Scope& scope = stack_.back();
    Opening opening;
    if (scope.paren_depth > 0 || scope.kind == ScopeKind::initializer) {
      if (auto lambda = lambda_opening(scope.head)) opening = *lambda;
    } else if (scope.kind == ScopeKind::function || scope.kind == ScopeKind::lambda ||
               scope.kind == ScopeKind::block) {
      opening = statement_opening(scope.head);
    } else if (auto lambda = lambda_opening(scope.head)) {
      opening = *lambda;
      opening.name = lambda_variable_name(scope.head);
    } else {
      opening = declaration_opening(scope.head);
    }
    Scope inner;
    inner.kind = opening.kind;
    inner.name = opening.name;
    inner.parameters = opening.parameters;
    inner.default_capture = opening.default_capture;
    inner.open_offset = token.offset;
    stack_.push_back(std::move(inner));
  }

  void close() {
    if (stack_.size() <= 1) return;  // an unbalanced '}': keep going at file level
    const ScopeKind kind = stack_.back().kind;
    stack_.pop_back();
    Scope& outer = stack_.back();
    if (kind == ScopeKind::initializer || kind == ScopeKind::lambda || kind == ScopeKind::class_body) {
      outer.head.push_back(kBracedGroup);  // the statement goes on: "auto f = [&] {...};", "struct X {...} x;"
    } else {
      outer.head.clear();
      outer.paren_depth = 0;
    }
  }

  // "auto kernel = [](...) {" at namespace level: the lambda is named by its variable.
  static std::string lambda_variable_name(const Tokens& head) {
    for (std::size_t k = 1; k < head.size(); ++k) {
      if (head[k].is("=") && head[k - 1].is_identifier()) return std::string(head[k - 1].text);
    }
    return "lambda";
  }

  std::vector<Scope> stack_;
};

bool is_code_scope(ScopeKind kind) {
  return kind == ScopeKind::function || kind == ScopeKind::lambda || kind == ScopeKind::block;
}

EnclosingFunction describe(const Snapshot& snapshot) {
  EnclosingFunction found;
  const std::vector<Scope>& stack = snapshot.stack;
  for (const Scope& scope : stack) {
    if (scope.kind == ScopeKind::name_space && (scope.name == "tinytorch" || scope.name.starts_with("tinytorch::"))) {
      found.in_tinytorch_namespace = true;
    }
  }
  std::size_t innermost = stack.size();
  for (std::size_t i = stack.size(); i-- > 0;) {
    if (stack[i].kind == ScopeKind::function || stack[i].kind == ScopeKind::lambda) {
      innermost = i;
      break;
    }
    if (!is_code_scope(stack[i].kind) && stack[i].kind != ScopeKind::initializer) break;
  }
  if (innermost == stack.size()) return found;
  found.in_lambda = stack[innermost].kind == ScopeKind::lambda;
  found.parameters = stack[innermost].parameters.names;
  // The variables in scope: out through blocks, and through lambdas that capture by default.
  std::size_t outermost = stack.size();
  for (std::size_t i = stack.size(); i-- > 0;) {
    const Scope& scope = stack[i];
    if (!is_code_scope(scope.kind) && scope.kind != ScopeKind::initializer) break;
    outermost = i;
    if (scope.kind == ScopeKind::function) break;
    if (scope.kind == ScopeKind::lambda && !scope.default_capture) break;
  }
  std::set<std::string> seen;
  auto add = [&](const Declared& declared) {
    for (const auto& name : declared.names) {
      if (seen.insert(name).second) found.locals.push_back(name);
    }
    for (const auto& name : declared.packs) found.packs.push_back(name);
  };
  for (std::size_t i = outermost; i < stack.size(); ++i) {  // outside in: parameters, then locals
    add(stack[i].parameters);
    add(stack[i].locals);
  }
  // The name: the innermost named function, with the classes around it.
  for (std::size_t i = innermost + 1; i-- > 0;) {
    const Scope& scope = stack[i];
    if (scope.kind == ScopeKind::function) {
      std::string name = scope.name;
      for (std::size_t c = i; c-- > 0 && stack[c].kind == ScopeKind::class_body;) name = stack[c].name + "::" + name;
      found.name = name;
      return found;
    }
    if (!is_code_scope(scope.kind) && scope.kind != ScopeKind::initializer) break;
  }
  found.name = stack[innermost].name.empty() ? "lambda" : stack[innermost].name;  // a lambda outside any function
  return found;
}

// ---- student text ------------------------------------------------------------------------

std::string line_at(std::string_view text, const Line& line) {
  return std::string(text.substr(line.begin, line.end - line.begin));
}

// Where the error.hpp include goes: after the first tinytorch include (else the first
// include, else #pragma once), or npos when the file already has it.
std::size_t include_insertion_offset(std::string_view text) {
  const std::vector<Line> lines = split_lines(text);
  std::optional<std::size_t> first_tinytorch, first_include, pragma_once;
  for (const Line& line : lines) {
    const std::string_view trimmed = trim(text.substr(line.begin, line.end - line.begin));
    if (trimmed == kErrorInclude) return std::string_view::npos;
    if (line.next == line.end) continue;  // the last line has no newline: nothing can follow it
    if (trimmed.starts_with("#include \"tinytorch/") && !first_tinytorch) first_tinytorch = line.next;
    if (trimmed.starts_with("#include") && !first_include) first_include = line.next;
    if (trimmed == "#pragma once" && !pragma_once) pragma_once = line.next;
  }
  if (first_tinytorch) return *first_tinytorch;
  if (first_include) return *first_include;
  if (pragma_once) return *pragma_once;
  return 0;
}

// A region must hold whole statements: its braces and parentheses balance.
void check_balanced(const Tokens& tokens, const SolutionRegion& region, const std::string& shown) {
  int braces = 0;
  int parens = 0;
  for (const Token& t : tokens) {
    if (t.offset < region.begin_offset || t.offset >= region.end_offset) continue;
    braces += t.is("{") ? 1 : t.is("}") ? -1 : 0;
    parens += t.is("(") ? 1 : t.is(")") ? -1 : 0;
    if (braces < 0 || parens < 0) break;
  }
  if (braces != 0 || parens != 0) {
    throw RegionError(fmt::format(
        "{}:{}: the solution region (lines {}-{}) does not hold whole statements: its {} do not balance "
        "({}); expected every '{{' and '(' opened in the region to close in it",
        shown, region.begin_line, region.begin_line, region.end_line, braces != 0 ? "braces" : "parentheses",
        braces != 0 ? fmt::format("{:+} braces", braces) : fmt::format("{:+} parentheses", parens)));
  }
}

// The statement in progress at a region boundary must be empty (or just a label / else / do).
bool at_statement_boundary(const Snapshot& snapshot) {
  const Scope& scope = snapshot.stack.back();
  if (scope.head.empty()) return true;
  const Token& last = scope.head.back();
  return last.is(":") || one_of(last, {"else", "do"}) ||
         (last.is(")") && [&] {
           const auto parens = trailing_parens(scope.head);
           return parens && parens->first > 0 && one_of(scope.head[parens->first - 1], {"if", "for", "while"});
         }());
}

std::string describe_scope_position(const Snapshot& snapshot) {
  const Scope& scope = snapshot.stack.back();
  std::string statement;
  for (const Token& t : scope.head) {
    if (!statement.empty()) statement.push_back(' ');
    statement.append(t.text);
  }
  if (statement.size() > 60) {
    statement.resize(57);
    statement.append("...");
  }
  return statement;
}

}  // namespace

std::string_view trim(std::string_view line) {
  while (!line.empty() && is_space(line.front())) line.remove_prefix(1);
  while (!line.empty() && is_space(line.back())) line.remove_suffix(1);
  return line;
}

MarkerKind marker_kind(std::string_view line) {
  const std::string_view trimmed = trim(line);
  for (auto [marker, kind] : {std::pair{kBeginMarker, MarkerKind::begin}, std::pair{kEndMarker, MarkerKind::end}}) {
    if (trimmed.starts_with(marker) && (trimmed.size() == marker.size() || is_space(trimmed[marker.size()]))) {
      return kind;
    }
  }
  return MarkerKind::none;
}

std::vector<SolutionRegion> find_solution_regions(std::string_view text, std::string_view shown) {
  std::vector<SolutionRegion> regions;
  std::optional<SolutionRegion> open;
  const std::vector<Line> lines = split_lines(text);
  for (std::size_t n = 0; n < lines.size(); ++n) {
    const Line& line = lines[n];
    const int number = static_cast<int>(n) + 1;
    const std::string_view content = text.substr(line.begin, line.end - line.begin);
    const MarkerKind kind = marker_kind(content);
    if (kind == MarkerKind::begin) {
      if (open) {
        throw RegionError(fmt::format("{}:{}: '{}' inside the solution region opened at line {}; regions cannot "
                                      "nest — expected '{}' first",
                                      shown, number, kBeginMarker, open->begin_line, kEndMarker));
      }
      open = SolutionRegion{};
      open->begin_line = number;
      open->begin_offset = line.begin;
      open->indent = std::string(content.substr(0, content.find('/')));
    } else if (kind == MarkerKind::end) {
      if (!open) {
        throw RegionError(fmt::format("{}:{}: '{}' without a '{}' before it", shown, number, kEndMarker,
                                      kBeginMarker));
      }
      open->end_line = number;
      open->end_offset = line.next;
      open->text = std::string(text.substr(open->begin_offset, open->end_offset - open->begin_offset));
      regions.push_back(std::move(*open));
      open.reset();
    }
  }
  if (open) {
    throw RegionError(fmt::format("{}:{}: '{}' is never closed; expected '{}' before the end of the file", shown,
                                  open->begin_line, kBeginMarker, kEndMarker));
  }
  return regions;
}

EnclosingFunction find_enclosing_function(std::string_view text, std::size_t offset) {
  ScopeScanner scanner;
  return describe(scanner.scan(tokenize(text), {offset}).front());
}

std::string make_stub(const std::string& indent, const std::string& module, const EnclosingFunction& function,
                      const std::vector<std::string>& voided, bool has_final_newline) {
  std::string stub = fmt::format("{}// TODO(student): implement {}{} — see ABOUT.md\n", indent, function.name,
                                 function.in_lambda ? " (this part is in a lambda inside it)" : "");
  if (!voided.empty()) {
    std::string line = indent;
    for (const auto& name : voided) {
      const bool pack = std::find(function.packs.begin(), function.packs.end(), name) != function.packs.end();
      line += pack ? fmt::format("((void){}, ...); ", name) : fmt::format("(void){}; ", name);
    }
    line.pop_back();
    stub += line + "\n";
  }
  stub += fmt::format("{}throw {}NotImplemented(\"{}: {}\");", indent,
                      function.in_tinytorch_namespace ? "" : "tinytorch::", module, function.name);
  if (has_final_newline) stub += "\n";
  return stub;
}

StudentFile make_student_file(const std::string& original, const std::string& shown, const std::string& module) {
  StudentFile file;
  file.shown = shown;
  file.module = module;
  file.original = original;
  const std::vector<SolutionRegion> regions = find_solution_regions(original, shown);
  if (regions.empty()) {
    file.student = original;
    return file;
  }
  const Tokens tokens = tokenize(original);
  std::vector<std::size_t> offsets;  // each region's start and its END marker line's start
  for (const SolutionRegion& region : regions) {
    offsets.push_back(region.begin_offset);
    const std::size_t end_line_start = original.rfind('\n', region.end_offset - 2);
    offsets.push_back(end_line_start == std::string::npos ? 0 : end_line_start + 1);
  }
  ScopeScanner scanner;
  const std::vector<Snapshot> snapshots = scanner.scan(tokens, offsets);
  for (std::size_t r = 0; r < regions.size(); ++r) {
    const SolutionRegion& region = regions[r];
    const Snapshot& at_begin = snapshots[2 * r];
    const Snapshot& at_end = snapshots[2 * r + 1];
    check_balanced(tokens, region, shown);
    const EnclosingFunction function = describe(at_begin);
    if (function.name.empty()) {
      throw RegionError(fmt::format("{}:{}: the solution region (lines {}-{}) is not inside a function body; "
                                    "expected it between the braces of the function the student writes",
                                    shown, region.begin_line, region.begin_line, region.end_line));
    }
    if (!at_statement_boundary(at_begin) || !at_statement_boundary(at_end)) {
      const bool begin_bad = !at_statement_boundary(at_begin);
      throw RegionError(fmt::format("{}:{}: the solution region (lines {}-{}) {} in the middle of a statement "
                                    "(after '{}'); expected it to hold whole statements",
                                    shown, begin_bad ? region.begin_line : region.end_line, region.begin_line,
                                    region.end_line, begin_bad ? "starts" : "ends",
                                    describe_scope_position(begin_bad ? at_begin : at_end)));
    }
    // (void) each variable in scope that the region uses: without the region it may be unused.
    std::set<std::string_view> used;
    for (const Token& t : tokens) {
      if (t.offset >= region.begin_offset && t.offset < region.end_offset && t.is_identifier()) used.insert(t.text);
    }
    StubbedRegion stubbed;
    stubbed.region = region;
    stubbed.function = function.name;
    for (const auto& name : function.locals) {
      if (used.count(name) != 0) stubbed.voided.push_back(name);
    }
    const bool final_newline = !region.text.empty() && region.text.back() == '\n';
    stubbed.stub = make_stub(region.indent, module, function, stubbed.voided, final_newline);
    file.regions.push_back(std::move(stubbed));
  }
  std::size_t insert_at = include_insertion_offset(original);
  if (insert_at != std::string::npos && insert_at > regions.front().begin_offset) insert_at = 0;
  file.added_include = insert_at != std::string::npos;
  std::string student;
  std::size_t position = 0;
  if (file.added_include) {
    student += original.substr(0, insert_at) + std::string(kErrorInclude) + "\n";
    position = insert_at;
  }
  for (const StubbedRegion& stubbed : file.regions) {
    student += original.substr(position, stubbed.region.begin_offset - position);
    student += stubbed.stub;
    position = stubbed.region.end_offset;
  }
  student += original.substr(position);
  file.student = std::move(student);
  return file;
}

std::string reinsert_regions(const std::string& student_text, const StudentFile& file) {
  std::string out;
  std::size_t position = 0;
  for (const StubbedRegion& stubbed : file.regions) {
    std::size_t found = student_text.find(stubbed.stub, position);
    while (found != std::string::npos && found > 0 && student_text[found - 1] != '\n') {
      found = student_text.find(stubbed.stub, found + 1);
    }
    if (found == std::string::npos) {
      throw RegionError(fmt::format("{}: the stub of {} (the solution region of lines {}-{} of the original) is no "
                                    "longer in the file; expected its lines unchanged:\n{}",
                                    file.shown, stubbed.function, stubbed.region.begin_line, stubbed.region.end_line,
                                    stubbed.stub));
    }
    out += student_text.substr(position, found - position);
    out += stubbed.region.text;
    position = found + stubbed.stub.size();
  }
  out += student_text.substr(position);
  if (file.added_include) {
    const std::string include = std::string(kErrorInclude) + "\n";
    std::size_t found = out.find(include);
    while (found != std::string::npos && found > 0 && out[found - 1] != '\n') found = out.find(include, found + 1);
    if (found == std::string::npos) {
      throw RegionError(fmt::format("{}: the line '{}' added to the student version is missing", file.shown,
                                    kErrorInclude));
    }
    out.erase(found, include.size());
  }
  return out;
}

std::vector<SolutionLine> solution_lines(const StudentFile& file) {
  const std::vector<Line> lines = split_lines(file.original);
  std::vector<bool> in_region(lines.size(), false);
  for (const StubbedRegion& stubbed : file.regions) {
    for (int n = stubbed.region.begin_line; n <= stubbed.region.end_line; ++n) in_region[n - 1] = true;
  }
  std::set<std::string, std::less<>> outside;
  for (std::size_t n = 0; n < lines.size(); ++n) {
    if (!in_region[n]) outside.insert(std::string(trim(line_at(file.original, lines[n]))));
  }
  std::vector<SolutionLine> found;
  for (const StubbedRegion& stubbed : file.regions) {
    for (int n = stubbed.region.begin_line + 1; n < stubbed.region.end_line; ++n) {
      const std::string text = line_at(file.original, lines[n - 1]);
      const std::string_view trimmed = trim(text);
      if (trimmed.size() <= kMinSolutionLineLength) continue;
      if (trimmed.starts_with("//") || trimmed.starts_with("/*") || trimmed.starts_with("*")) continue;
      if (outside.count(trimmed) != 0) continue;
      found.push_back({std::string(trimmed), n, stubbed.function});
    }
  }
  return found;
}

}  // namespace tito
