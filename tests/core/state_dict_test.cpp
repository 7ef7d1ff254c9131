#include <gpunn/gpunn.h>
#include <gpunn/state_dict.h>
#include <gtest/gtest.h>

#include "test_util.h"

namespace gpunn {
namespace {

TEST(StateDict, KeepsInsertionOrderAndFindsByName) {
  StateDict d;
  d.insert("b.weight", ones({2}));
  d.insert("a.bias", zeros({3}));
  d.insert("c", full({1}, 7.0));
  EXPECT_EQ(d.keys(), (std::vector<std::string>{"b.weight", "a.bias", "c"}));
  EXPECT_EQ(d.size(), 3u);
  EXPECT_TRUE(d.contains("a.bias"));
  EXPECT_FALSE(d.contains("a"));
  EXPECT_EQ(d.at("c").item<float>(), 7.0f);
  EXPECT_EQ(d.find("nope"), nullptr);
}

TEST(StateDict, ReplaceKeepsPlaceEraseReindexes) {
  StateDict d;
  d.insert("x", zeros({1}));
  d.insert("y", zeros({1}));
  d.insert("z", zeros({1}));
  d.insert_or_assign("x", ones({4}));
  EXPECT_EQ(d.keys().front(), "x");
  EXPECT_EQ(d.at("x").numel(), 4);
  EXPECT_TRUE(d.erase("x"));
  EXPECT_FALSE(d.erase("x"));
  EXPECT_EQ(d.keys(), (std::vector<std::string>{"y", "z"}));
  d.insert_or_assign("z", full({2}, 3.0));
  EXPECT_EQ(d.at("z").numel(), 2);
  EXPECT_EQ(d.at("y").numel(), 1);
}

TEST(StateDict, ErrorsNameTheKey) {
  StateDict d;
  d.insert("w", zeros({1}));
  EXPECT_THROWS_WITH(d.insert("w", zeros({1})), "'w' already exists");
  EXPECT_THROWS_WITH(d.at("missing"), "no entry named 'missing'");
}

}  // namespace
}  // namespace gpunn
