// test_table.cpp — summary tables line up, with or without colour.
#include <gtest/gtest.h>

#include <regex>

#include "tito/table.hpp"

namespace tito {
namespace {

TEST(Table, ColumnsAreAlignedToTheWidestCell) {
  Table table({"Module", "Result"});
  table.add_row({"01_tensor", "3/3 passed"});
  table.add_row({"02_x", "FAILED"});
  EXPECT_EQ(table.render(false),
            "Module     Result\n"
            "─────────  ──────────\n"
            "01_tensor  3/3 passed\n"
            "02_x       FAILED\n");
}

TEST(Table, ColourDoesNotMoveColumns) {
  Table table({"A", "B"});
  table.add_row({Cell("passed", Tone::good), Cell("x", Tone::bad)});
  const std::string coloured = table.render(true);
  EXPECT_NE(coloured, table.render(false));
  EXPECT_EQ(std::regex_replace(coloured, std::regex("\x1b\\[[0-9;]*m"), ""), table.render(false));
}

TEST(Table, WidthCountsCodePointsNotBytes) {
  EXPECT_EQ(display_width("—"), 1u);
  EXPECT_EQ(display_width("ab✓"), 3u);
}

TEST(Table, ShortRowsArePadded) {
  Table table({"A", "B"});
  table.add_row({"x"});
  EXPECT_EQ(table.render(false), "A  B\n─  ─\nx\n");
}

}  // namespace
}  // namespace tito
