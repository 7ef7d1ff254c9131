// Training checkpoints (gpunn/io/checkpoint.h).
#include <gpunn/io/checkpoint.h>
#include <gpunn/io/safetensors.h>
#include <gpunn/parse.h>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <random>
#include <thread>

#include "io/checkpoint_versions.h"
#include "io/io_test_util.h"
#include "test_util.h"

extern char** environ;

namespace gpunn {
namespace {

TEST(Checkpoint, RoundTripsEverySection) {
  test::ScratchDir dir;
  io::Checkpoint c;
  c.model.insert("fc.weight", full({2, 2}, 0.5));
  c.model.insert("fc.bias", zeros({2}));
  c.optimizer.insert("state.0.step", tensor_from(std::vector<int64_t>{12}, {}));
  c.scheduler.insert("last_epoch", tensor_from(std::vector<int64_t>{3}, {}));
  c.epoch = 3;
  c.step = 12;
  c.rng = {42, 987654321987654321ULL};
  c.metadata["run"] = "mnist-lenet";
  const std::string path = dir.file("ckpt.safetensors");
  io::save_checkpoint(path, c);

  const io::Checkpoint r = io::load_checkpoint(path);
  EXPECT_EQ(r.model.keys(), (std::vector<std::string>{"fc.weight", "fc.bias"}));
  EXPECT_EQ(r.model.at("fc.weight").to_vector<double>(), (std::vector<double>(4, 0.5)));
  EXPECT_EQ(r.optimizer.at("state.0.step").item<int64_t>(), 12);
  EXPECT_EQ(r.scheduler.at("last_epoch").item<int64_t>(), 3);
  EXPECT_EQ(r.epoch, 3);
  EXPECT_EQ(r.step, 12);
  EXPECT_EQ(r.rng.seed, 42u);
  EXPECT_EQ(r.rng.offset, 987654321987654321ULL);
  EXPECT_EQ(r.metadata, (std::map<std::string, std::string>{{"run", "mnist-lenet"}}));

  // Any safetensors reader sees plain prefixed names.
  const io::SafetensorsFile raw = io::load_safetensors(path);
  EXPECT_TRUE(raw.tensors.contains("model.fc.weight"));
  EXPECT_EQ(raw.metadata.at("gpunn.step"), "12");
}

TEST(Checkpoint, RestoringTheGeneratorReplaysTheSameNumbers) {
  test::ScratchDir dir;
  Generator g(7);
  (void)randn({10}, kFloat64, &g);
  io::Checkpoint c;
  c.rng = g.state();
  io::save_checkpoint(dir.file("c"), c);
  const Tensor expected = randn({5}, kFloat64, &g);
  Generator h;
  h.set_state(io::load_checkpoint(dir.file("c")).rng);
  EXPECT_EQ(randn({5}, kFloat64, &h).to_vector<double>(), expected.to_vector<double>());
}

TEST(Checkpoint, RejectsFilesThatAreNotCheckpoints) {
  test::ScratchDir dir;
  StateDict d;
  d.insert("w", ones({1}));
  io::save_safetensors(dir.file("plain"), d);
  EXPECT_THROWS_WITH(io::load_checkpoint(dir.file("plain")), "load_checkpoint", "plain",
                     "gpunn.checkpoint");
  io::save_safetensors(dir.file("bad_step"), d,
                       {{"gpunn.checkpoint", "1"},
                        {"gpunn.epoch", "1"},
                        {"gpunn.step", "x1"},
                        {"gpunn.rng.seed", "1"},
                        {"gpunn.rng.offset", "0"}});
  EXPECT_THROWS_WITH(io::load_checkpoint(dir.file("bad_step")), "\"gpunn.step\" = \"x1\"");
  io::save_safetensors(dir.file("no_section"), d,
                       {{"gpunn.checkpoint", "1"},
                        {"gpunn.epoch", "1"},
                        {"gpunn.step", "1"},
                        {"gpunn.rng.seed", "1"},
                        {"gpunn.rng.offset", "0"}});
  EXPECT_THROWS_WITH(io::load_checkpoint(dir.file("no_section")),
                     "tensor 'w' belongs to no section");
  io::Checkpoint c;
  c.metadata["gpunn.mine"] = "x";
  EXPECT_THROWS_WITH(io::save_checkpoint(dir.file("c"), c), "reserved prefix");
}

TEST(Checkpoint, ParsesFromMemoryWithTheFileChecks) {
  const io::Checkpoint c = test::checkpoint_version(4);
  test::ScratchDir dir;
  io::save_checkpoint(dir.file("c.safetensors"), c);
  const std::vector<uint8_t> bytes = test::read_file_u8(dir.file("c.safetensors"));
  const io::Checkpoint r = io::parse_checkpoint(bytes.data(), bytes.size(), "mem.ckpt");
  EXPECT_EQ(test::checkpoint_version_mismatch(r), "");
  EXPECT_EQ(r.step, 4);
  EXPECT_THROWS_WITH(io::parse_checkpoint(bytes.data(), bytes.size() - 1, "mem.ckpt"),
                     "safetensors 'mem.ckpt'", "run past the end");
  const std::vector<uint8_t> plain = io::serialize_safetensors(c.model);
  EXPECT_THROWS_WITH(io::parse_checkpoint(plain.data(), plain.size()), "load_checkpoint '<memory>'",
                     "no \"gpunn.checkpoint\"");
}

int count_temporaries(const test::ScratchDir& dir) {
  int n = 0;
  for (const std::string& name : dir.listing()) n += name.find(".tmp.") != std::string::npos;
  return n;
}

// Crash safety of save_checkpoint: a child process saves changing checkpoints
// in a loop and is killed with SIGKILL at random moments, 150 times. After each
// kill the file on disk must load and be exactly one complete version, no older
// than the last one seen (never a torn mix or a prefix), and at most one killed
// save's temporary file may be left (the next save removes it).
TEST(Checkpoint, SurvivesSigkillDuringSaves) {
  test::ScratchDir dir;
  const std::string path = dir.file("ckpt.safetensors");
  io::save_checkpoint(path, test::checkpoint_version(0));
  std::mt19937 rng(2024);
  std::uniform_int_distribution<int> delay_us(0, 30000);
  constexpr int kKills = 150;
  int64_t last = 0;
  int temporaries_seen = 0;
  for (int kill = 0; kill < kKills; ++kill) {
    const std::string first = std::to_string(last + 1);
    char* argv[] = {const_cast<char*>(GPUNN_CHECKPOINT_WRITER), const_cast<char*>(path.c_str()),
                    const_cast<char*>(first.c_str()), nullptr};
    // The writer's stdout is a pipe; its first byte says it is about to save.
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    posix_spawn_file_actions_t actions;
    ASSERT_EQ(::posix_spawn_file_actions_init(&actions), 0);
    ASSERT_EQ(::posix_spawn_file_actions_adddup2(&actions, ready[1], STDOUT_FILENO), 0);
    ASSERT_EQ(::posix_spawn_file_actions_addclose(&actions, ready[0]), 0);
    pid_t pid = 0;
    const int spawned =
        ::posix_spawn(&pid, GPUNN_CHECKPOINT_WRITER, &actions, nullptr, argv, environ);
    ::posix_spawn_file_actions_destroy(&actions);
    ::close(ready[1]);
    ASSERT_EQ(spawned, 0);
    char byte = 0;
    const ssize_t got = ::read(ready[0], &byte, 1);
    ::close(ready[0]);
    ASSERT_EQ(got, 1) << "the writer did not start (its message is on stderr)";
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us(rng)));
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    // Killed, not exited: an exit would mean the writer failed (its message is on stderr).
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;

    const io::Checkpoint c = io::load_checkpoint(path);
    ASSERT_EQ(test::checkpoint_version_mismatch(c), "")
        << "after kill " << kill << ", version " << c.step;
    ASSERT_GE(c.step, last) << "after kill " << kill;
    last = c.step;
    const int temporaries = count_temporaries(dir);
    ASSERT_LE(temporaries, 1) << "after kill " << kill;
    temporaries_seen += temporaries;
  }
  // The writers got through many versions, and some kills landed mid-save.
  std::cout << kKills << " kills: " << last << " versions saved, " << temporaries_seen
            << " kills left a temporary file\n";
  EXPECT_GT(last, 0);
  // One more save cleans up what the last killed writer left.
  io::save_checkpoint(path, test::checkpoint_version(last + 1));
  EXPECT_EQ(count_temporaries(dir), 0);
  EXPECT_EQ(test::checkpoint_version_mismatch(io::load_checkpoint(path)), "");
}

// A temporary file of a save still in progress (its process alive) is left
// alone; one whose process is gone is removed by the next save.
TEST(Checkpoint, NextSaveRemovesOnlyDeadSavesTemporaries) {
  test::ScratchDir dir;
  const std::string path = dir.file("ckpt.safetensors");
  const std::string live = path + ".tmp." + std::to_string(::getppid()) + ".0";
  pid_t dead_pid = 0;
  {
    char* argv[] = {const_cast<char*>("/bin/true"), nullptr};
    ASSERT_EQ(::posix_spawn(&dead_pid, "/bin/true", nullptr, nullptr, argv, environ), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(dead_pid, &status, 0), dead_pid);
  }
  const std::string dead = path + ".tmp." + std::to_string(dead_pid) + ".3";
  const std::string other = dir.file("other.safetensors.tmp.1.0");
  const std::string odd = path + ".tmp.notapid";
  for (const std::string& f : {live, dead, other, odd}) test::write_bytes(f, {1, 2, 3});
  io::save_checkpoint(path, test::checkpoint_version(5));
  EXPECT_TRUE(std::filesystem::exists(live));
  EXPECT_FALSE(std::filesystem::exists(dead));
  EXPECT_TRUE(std::filesystem::exists(other));  // another file's
  EXPECT_TRUE(std::filesystem::exists(odd));    // not a name gpunn makes
  EXPECT_EQ(test::checkpoint_version_mismatch(io::load_checkpoint(path)), "");
}

}  // namespace
}  // namespace gpunn
