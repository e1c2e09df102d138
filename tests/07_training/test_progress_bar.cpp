// The progress line's text (a pure function), its ETA arithmetic, and the bar's
// drawing rules: quiet unless enabled, at most 10 redraws a second, cleared at the end.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "concepts.hpp"
#include "tinytorch/core/progress_bar.hpp"

using namespace tinytorch;

namespace {

// Everything written to a temporary FILE*.
std::string contents(std::FILE* file) {
  std::fflush(file);
  std::rewind(file);
  std::string text;
  for (int c = std::fgetc(file); c != EOF; c = std::fgetc(file)) text += static_cast<char>(c);
  return text;
}

ProgressState state_at(int64_t done) { return ProgressState{"epoch 1/3", done, 8, 0.25, 0.5, 12345.6, 2.0}; }

// "\r" followed by `text` (how the bar starts each redraw).
std::string after_carriage_return(const std::string& text) {
  std::string out = "\r";
  out += text;
  return out;
}

}  // namespace

TINYTORCH_CONCEPT(ProgressBar, "the one-line progress display of a training epoch",
                  "label [bar] done/total  loss L  acc A%  S samples/s  ETA t; "
                  "bar: floor(width * done / total) '=' then '>' until done = total; "
                  "ETA = elapsed * (total - done) / done");

TINYTORCH_TEST_FORMULA(ProgressBar, LineShowsBarCountsLossAccuracySpeedAndEta,
                       "2 of 8 batches in 2 s: ETA = 2 * (8 - 2) / 2 = 6 s -> 0:06; "
                       "width 8: 8 * 2 / 8 = 2 '=' then '>'; loss %.4f, acc 100 * 0.5 = 50.0%, 12345.6 -> 12,346");
TEST(ProgressBar, LineShowsBarCountsLossAccuracySpeedAndEta) {
  // 2 of 8 batches in 2 s: ETA = 2 · (8 - 2) / 2 = 6 s; bar width 8: 2 '=' then '>'.
  EXPECT_EQ(format_progress_line(state_at(2), 8),
            "epoch 1/3 [==>     ] 2/8  loss 0.2500  acc 50.0%  12,346 samples/s  ETA 0:06");
}

TINYTORCH_TEST_FORMULA(ProgressBar, StartAndEndOfTheBar,
                       "done = 0: bar '>' then spaces, ETA 0:00; done = total: every cell '=', no '>', ETA 0:00");
TEST(ProgressBar, StartAndEndOfTheBar) {
  EXPECT_EQ(format_progress_line(state_at(0), 4),
            "epoch 1/3 [>   ] 0/8  loss 0.2500  acc 50.0%  12,346 samples/s  ETA 0:00");
  EXPECT_EQ(format_progress_line(state_at(8), 4),
            "epoch 1/3 [====] 8/8  loss 0.2500  acc 50.0%  12,346 samples/s  ETA 0:00");
}

TINYTORCH_TEST_FORMULA(ProgressBar, DurationsAndCounts,
                       "durations in whole seconds rounded down, "
                       "m:ss or h:mm:ss (59.9 -> 0:59, 61 -> 1:01, 3600 -> 1:00:00, negative -> 0:00); "
                       "counts rounded to the nearest integer with thousands commas (1234567.5 -> 1,234,568)");
TEST(ProgressBar, DurationsAndCounts) {
  EXPECT_EQ(format_duration(0), "0:00");
  EXPECT_EQ(format_duration(59.9), "0:59");  // whole seconds, rounded down
  EXPECT_EQ(format_duration(61), "1:01");
  EXPECT_EQ(format_duration(3600), "1:00:00");
  EXPECT_EQ(format_duration(-5), "0:00");
  EXPECT_EQ(format_count(999.4), "999");
  EXPECT_EQ(format_count(1000), "1,000");
  EXPECT_EQ(format_count(1234567.5), "1,234,568");
}

TINYTORCH_TEST_FORMULA(ProgressBar, QuietWhenTheStreamIsNotATerminal,
                       "a stream that is not a terminal (isatty false) disables the bar: update() and clear() "
                       "write nothing");
TEST(ProgressBar, QuietWhenTheStreamIsNotATerminal) {
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  ProgressBar bar(file);  // a regular file is not a tty
  EXPECT_FALSE(bar.enabled());
  bar.update(state_at(8));
  bar.clear();
  EXPECT_EQ(contents(file), "");
  std::fclose(file);
}

TINYTORCH_TEST_FORMULA(ProgressBar, RedrawsAtMostTenTimesASecondButAlwaysDrawsTheLastBatch,
                       "a redraw needs 0.1 s since the last one, "
                       "except the last batch (done = total): batch 1 drawn, batch 2 skipped, "
                       "batch 8 of 8 drawn, each as a carriage return then the line");
TEST(ProgressBar, RedrawsAtMostTenTimesASecondButAlwaysDrawsTheLastBatch) {
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  ProgressBar bar(file, /*enabled=*/true);
  bar.update(state_at(1));  // drawn
  bar.update(state_at(2));  // < 0.1 s later: skipped
  bar.update(state_at(8));  // the last batch: drawn
  const std::string text = contents(file);
  EXPECT_NE(text.find(after_carriage_return(format_progress_line(state_at(1)))), std::string::npos);
  EXPECT_EQ(text.find(" 2/8 "), std::string::npos) << text;
  EXPECT_NE(text.find(after_carriage_return(format_progress_line(state_at(8)))), std::string::npos);
  std::fclose(file);
}

TINYTORCH_TEST_FORMULA(ProgressBar, ClearBlanksTheLine,
                       "clear() writes a carriage return, as many spaces as the last line had characters, "
                       "and a carriage return");
TEST(ProgressBar, ClearBlanksTheLine) {
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  ProgressBar bar(file, true);
  bar.update(state_at(8));
  const std::size_t length = format_progress_line(state_at(8)).size();
  bar.clear();
  const std::string text = contents(file);
  EXPECT_EQ(text.substr(text.size() - length - 2), after_carriage_return(std::string(length, ' ') + "\r"));
  std::fclose(file);
}
