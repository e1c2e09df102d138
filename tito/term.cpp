// term.cpp — tones to ANSI colours, when the stream is a terminal (see term.hpp).
#include "tito/term.hpp"

#include <fmt/color.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>

namespace tito {

namespace {

fmt::text_style style_of(Tone tone) {
  switch (tone) {
    case Tone::good: return fmt::fg(fmt::terminal_color::green);
    case Tone::bad: return fmt::fg(fmt::terminal_color::red) | fmt::emphasis::bold;
    case Tone::warn: return fmt::fg(fmt::terminal_color::yellow);
    case Tone::dim: return fmt::fg(fmt::terminal_color::bright_black);
    case Tone::strong: return fmt::emphasis::bold;
    case Tone::plain: break;
  }
  return {};
}

}  // namespace

bool color_enabled(std::FILE* stream) {
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && *no_color != '\0') return false;
  return ::isatty(::fileno(stream)) == 1;
}

std::string paint(std::string_view text, Tone tone, bool color) {
  if (!color || tone == Tone::plain) return std::string(text);
  return fmt::format(style_of(tone), "{}", text);
}

std::string out_paint(std::string_view text, Tone tone) {
  static const bool color = color_enabled(stdout);
  return paint(text, tone, color);
}

std::string err_paint(std::string_view text, Tone tone) {
  static const bool color = color_enabled(stderr);
  return paint(text, tone, color);
}

}  // namespace tito
