// term.hpp — colour on the terminal, and only there.
//
// Colour is used when the stream is a terminal and NO_COLOR is unset or empty
// (https://no-color.org). Text is given a Tone, not a colour, so every command
// means the same thing by green.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace tito {

enum class Tone {
  plain,
  good,    // passed, in sync
  bad,     // failed, out of sync
  warn,    // notes, skipped, never run
  dim,     // commands being run, secondary detail
  strong,  // headings
};

bool color_enabled(std::FILE* stream);

// `text` wrapped in the escape codes for `tone` when `color` is true.
std::string paint(std::string_view text, Tone tone, bool color);

// paint() for stdout / stderr, deciding colour from that stream.
std::string out_paint(std::string_view text, Tone tone);
std::string err_paint(std::string_view text, Tone tone);

}  // namespace tito
