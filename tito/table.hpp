// table.hpp — aligned text tables for summaries and status.
//
//   Module     Phase           Result         Time
//   ─────────  ──────────────  ─────────────  ─────
//   01_tensor  inline checks   3/3 passed     0.4s
//
// Cells carry a Tone; widths are measured on the plain text (UTF-8 code
// points), so colour never breaks the alignment.
#pragma once

#include <string>
#include <vector>

#include "tito/term.hpp"

namespace tito {

struct Cell {
  Cell(std::string text_in, Tone tone_in = Tone::plain) : text(std::move(text_in)), tone(tone_in) {}
  Cell(const char* text_in, Tone tone_in = Tone::plain) : text(text_in), tone(tone_in) {}
  std::string text;
  Tone tone;
};

class Table {
 public:
  explicit Table(std::vector<std::string> headers);

  // A row with fewer cells than headers is padded with empty cells.
  void add_row(std::vector<Cell> cells);
  size_t row_count() const { return rows_.size(); }

  // Header, rule, rows; every line ends in '\n', no trailing spaces.
  std::string render(bool color) const;

 private:
  std::vector<size_t> column_widths() const;
  std::vector<std::string> headers_;
  std::vector<std::vector<Cell>> rows_;
};

// Number of UTF-8 code points in `text` (its width in a terminal for the text we print).
size_t display_width(const std::string& text);

}  // namespace tito
