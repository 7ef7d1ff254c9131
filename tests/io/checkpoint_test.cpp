// Training checkpoints (gpunn/io/checkpoint.h).
#include <gpunn/io/checkpoint.h>
#include <gpunn/io/safetensors.h>

#include "io/io_test_util.h"
#include "test_util.h"

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

}  // namespace
}  // namespace gpunn
