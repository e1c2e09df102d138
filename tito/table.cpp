// table.cpp — rendering aligned tables (see table.hpp).
#include "tito/table.hpp"

#include <algorithm>

namespace tito {

namespace {

constexpr const char* kColumnGap = "  ";

std::string repeat(const std::string& piece, size_t times) {
  std::string out;
  for (size_t i = 0; i < times; ++i) out += piece;
  return out;
}

void trim_trailing_spaces(std::string& line) {
  while (!line.empty() && line.back() == ' ') line.pop_back();
}

}  // namespace

size_t display_width(const std::string& text) {
  return static_cast<size_t>(
      std::count_if(text.begin(), text.end(), [](unsigned char c) { return (c & 0xC0) != 0x80; }));
}

Table::Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void Table::add_row(std::vector<Cell> cells) {
  cells.resize(std::max(cells.size(), headers_.size()), Cell(""));
  rows_.push_back(std::move(cells));
}

std::vector<size_t> Table::column_widths() const {
  std::vector<size_t> widths;
  for (const auto& header : headers_) widths.push_back(display_width(header));
  for (const auto& row : rows_) {
    for (size_t column = 0; column < row.size(); ++column) {
      if (column >= widths.size()) widths.push_back(0);
      widths[column] = std::max(widths[column], display_width(row[column].text));
    }
  }
  return widths;
}

std::string Table::render(bool color) const {
  const std::vector<size_t> widths = column_widths();
  auto render_line = [&](const std::vector<Cell>& cells) {
    std::string line;
    for (size_t column = 0; column < widths.size(); ++column) {
      const Cell& cell = column < cells.size() ? cells[column] : Cell("");
      if (column > 0) line += kColumnGap;
      line += paint(cell.text, cell.tone, color);
      line += std::string(widths[column] - display_width(cell.text), ' ');
    }
    trim_trailing_spaces(line);
    return line + "\n";
  };
  std::vector<Cell> header_cells;
  std::vector<Cell> rule_cells;
  for (size_t column = 0; column < widths.size(); ++column) {
    header_cells.emplace_back(column < headers_.size() ? headers_[column] : "", Tone::strong);
    rule_cells.emplace_back(repeat("─", widths[column]), Tone::dim);
  }
  std::string out = render_line(header_cells) + render_line(rule_cells);
  for (const auto& row : rows_) out += render_line(row);
  return out;
}

}  // namespace tito
