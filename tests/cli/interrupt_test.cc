#include "cli/interrupt.h"

#include <gtest/gtest.h>
#include <signal.h>

namespace fastgpu::cli {
namespace {

using Event = InterruptWatcher::Event;

TEST(InterruptWatcherTest, ReportsSigintOnceThenWakes) {
  auto watcher = InterruptWatcher::Install();
  ASSERT_TRUE(watcher.ok()) << watcher.error().ToString();
  EXPECT_EQ((*watcher)->Wait(0), Event::kTimeout);

  ASSERT_EQ(::raise(SIGINT), 0);  // caught: the test goes on
  EXPECT_EQ((*watcher)->Wait(-1), Event::kInterrupted);
  EXPECT_EQ((*watcher)->Wait(0), Event::kTimeout);

  (*watcher)->Wake();
  EXPECT_EQ((*watcher)->Wait(-1), Event::kWoken);
  EXPECT_EQ((*watcher)->Wait(-1), Event::kWoken);  // stays woken
}

TEST(InterruptWatcherTest, OneAtATimeAndRestoresTheHandler) {
  struct sigaction before {};
  ASSERT_EQ(sigaction(SIGINT, nullptr, &before), 0);
  {
    auto first = InterruptWatcher::Install();
    ASSERT_TRUE(first.ok());
    EXPECT_FALSE(InterruptWatcher::Install().ok());
  }
  struct sigaction after {};
  ASSERT_EQ(sigaction(SIGINT, nullptr, &after), 0);
  EXPECT_EQ(after.sa_handler, before.sa_handler);
  EXPECT_TRUE(InterruptWatcher::Install().ok());  // free again
}

TEST(InterruptWatcherTest, IgnoredSigintStaysIgnored) {
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction saved {};
  ASSERT_EQ(sigaction(SIGINT, &ignore, &saved), 0);
  {
    auto watcher = InterruptWatcher::Install();
    ASSERT_TRUE(watcher.ok());
    ASSERT_EQ(::raise(SIGINT), 0);
    EXPECT_EQ((*watcher)->Wait(0), Event::kTimeout);
  }
  ASSERT_EQ(sigaction(SIGINT, &saved, nullptr), 0);
}

}  // namespace
}  // namespace fastgpu::cli
