// nn::Module, the containers and nn::summary.
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include <sstream>

#include "test_util.h"

namespace gpunn {
namespace {

using test::values_near;

// Builds the lecture's fully connected nets: sizes {3, 4, 2} is 3-4-2.
std::shared_ptr<nn::Sequential> mlp(const std::vector<int64_t>& sizes) {
  auto net = std::make_shared<nn::Sequential>();
  for (size_t i = 0; i + 1 < sizes.size(); ++i) {
    net->emplace<nn::Linear>(sizes[i], sizes[i + 1]);
    if (i + 2 < sizes.size()) net->emplace<nn::ReLU>();
  }
  return net;
}

class TwoLayer : public nn::Module {
 public:
  TwoLayer() : Module("TwoLayer") {
    fc1 = register_module("fc1", std::make_shared<nn::Linear>(3, 4));
    bn = register_module("bn", std::make_shared<nn::BatchNorm1d>(4));
    fc2 = register_module("fc2", std::make_shared<nn::Linear>(4, 2, /*bias=*/false));
    scale = register_parameter("scale", ones({1}));
  }
  Tensor forward(const Tensor& x) override { return mul((*fc2)(relu((*bn)((*fc1)(x)))), scale); }
  std::shared_ptr<nn::Linear> fc1, fc2;
  std::shared_ptr<nn::BatchNorm1d> bn;
  Tensor scale;
};

TEST(Module, LectureParameterCounts) {
  EXPECT_EQ(mlp({3, 4, 2})->num_parameters(), 26);
  EXPECT_EQ(mlp({3, 4, 4, 1})->num_parameters(), 41);
}

TEST(Module, NamesNestInRegistrationOrder) {
  TwoLayer net;
  std::vector<std::string> names;
  for (auto& [n, p] : net.named_parameters()) names.push_back(n);
  EXPECT_EQ(names, (std::vector<std::string>{"scale", "fc1.weight", "fc1.bias", "bn.weight",
                                             "bn.bias", "fc2.weight"}));
  EXPECT_EQ(net.state_dict().keys(),
            (std::vector<std::string>{"scale", "fc1.weight", "fc1.bias", "bn.weight", "bn.bias",
                                      "bn.running_mean", "bn.running_var", "bn.num_batches_tracked",
                                      "fc2.weight"}));
  auto seq = mlp({3, 4, 2});
  EXPECT_EQ(seq->state_dict().keys(),
            (std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"}));
  std::vector<std::string> modules;
  for (auto& [n, m] : net.named_modules()) modules.push_back(n);
  EXPECT_EQ(modules, (std::vector<std::string>{"", "fc1", "bn", "fc2"}));
}

TEST(Module, RegistrationErrors) {
  class Bad : public nn::Module {
   public:
    Bad() : Module("Bad") {}
    void add(const std::string& n) { register_parameter(n, zeros({1})); }
  } bad;
  bad.add("w");
  EXPECT_THROWS_WITH(bad.add("w"), "Bad", "'w' is already registered");
  EXPECT_THROWS_WITH(bad.add("a.b"), "Bad", "contain no '.'");
  EXPECT_THROWS_WITH(nn::Linear(3, 0), "Linear", "out_features");
  EXPECT_THROWS_WITH(nn::Conv2d(3, 4, 0), "Conv2d", "kernel_size");
  nn::Sequential s;
  EXPECT_THROWS_WITH(s[0], "Sequential", "index 0 out of range");
}

TEST(Module, StateDictRoundTripAndErrors) {
  manual_seed(1);
  TwoLayer a;
  manual_seed(2);
  TwoLayer b;
  EXPECT_NE(a.fc1->weight.to_vector<float>(), b.fc1->weight.to_vector<float>());
  b.load_state_dict(a.state_dict());
  EXPECT_EQ(a.fc1->weight.to_vector<float>(), b.fc1->weight.to_vector<float>());
  EXPECT_EQ(a.bn->running_var.to_vector<float>(), b.bn->running_var.to_vector<float>());

  // Missing and unexpected keys, reported together; nothing changes on error.
  manual_seed(3);
  TwoLayer c;
  const std::vector<float> before = c.fc1->weight.to_vector<float>();
  StateDict sd = a.state_dict();
  sd.erase("fc2.weight");
  sd.insert("fc3.weight", zeros({2, 4}));
  EXPECT_THROWS_WITH(c.load_state_dict(sd), "TwoLayer.load_state_dict",
                     "missing keys: [fc2.weight]", "unexpected keys: [fc3.weight]");
  EXPECT_EQ(c.fc1->weight.to_vector<float>(), before);
  // Non-strict loads what matches.
  c.load_state_dict(sd, /*strict=*/false);
  EXPECT_EQ(c.fc1->weight.to_vector<float>(), a.fc1->weight.to_vector<float>());

  StateDict bad = a.state_dict();
  bad.insert_or_assign("fc1.weight", zeros({5, 3}));
  EXPECT_THROWS_WITH(c.load_state_dict(bad), "fc1.weight", "[5, 3]", "[4, 3]");
  // Dtypes convert.
  StateDict dbl;
  for (const auto& [n, t] : a.state_dict())
    dbl.insert(n, is_floating(t.dtype()) ? t.to(kFloat64) : t);
  c.load_state_dict(dbl);
  EXPECT_EQ(c.fc2->weight.dtype(), kFloat32);
  EXPECT_EQ(c.fc2->weight.to_vector<float>(), a.fc2->weight.to_vector<float>());
}

TEST(Module, ToDtypeKeepsTensorIdentity) {
  TwoLayer net;
  Tensor w = net.fc1->weight;  // what an optimizer would hold
  Tensor loss = sum(net(ones({2, 3})));
  loss.backward();
  ASSERT_TRUE(w.grad().defined());
  net.to(kFloat64);
  EXPECT_EQ(w.dtype(), kFloat64);
  EXPECT_EQ(w.impl(), net.fc1->weight.impl());
  EXPECT_EQ(w.grad().dtype(), kFloat64);
  EXPECT_EQ(net.bn->running_mean.dtype(), kFloat64);
  EXPECT_EQ(net.bn->num_batches_tracked.dtype(), kInt64);
  EXPECT_TRUE(w.requires_grad());
  // Training still works, now in double.
  net.zero_grad();
  sum(net(ones({2, 3}, kFloat64))).backward();
  EXPECT_EQ(w.grad().dtype(), kFloat64);
}

TEST(Module, TrainEvalPropagates) {
  nn::Sequential net{std::make_shared<nn::Linear>(4, 4), std::make_shared<nn::Dropout>(0.5),
                     std::make_shared<nn::BatchNorm1d>(4)};
  EXPECT_TRUE(net[1]->is_training());
  net.eval();
  EXPECT_FALSE(net[1]->is_training());
  EXPECT_FALSE(net[2]->is_training());
  Tensor x = test::uniform({3, 4}).to(kFloat32);
  // Eval: dropout is the identity and batch norm uses running stats (0, 1).
  auto* lin = dynamic_cast<nn::Linear*>(net[0].get());
  Tensor expect = div(linear(x, lin->weight, lin->bias), std::sqrt(1.0 + 1e-5));
  EXPECT_TRUE(test::tensors_near(net(x), expect, 1e-6));
  net.train();
  auto* bn = dynamic_cast<nn::BatchNorm1d*>(net[2].get());
  net(x);
  EXPECT_EQ(bn->num_batches_tracked.item(), 1.0);
  EXPECT_NE(bn->running_mean.to_vector<float>(), std::vector<float>(4, 0.0f));
}

TEST(Module, ZeroGradAndRepr) {
  auto net = mlp({3, 4, 2});
  sum((*net)(ones({1, 3}))).backward();
  for (const Tensor& p : net->parameters()) EXPECT_TRUE(p.grad().defined());
  net->zero_grad();
  for (const Tensor& p : net->parameters()) EXPECT_FALSE(p.grad().defined());
  const std::string r = net->repr();
  EXPECT_NE(r.find("(0): Linear(in_features=3, out_features=4, bias=true)"), std::string::npos)
      << r;
  EXPECT_NE(r.find("(1): ReLU()"), std::string::npos) << r;
}

TEST(Ensemble, AveragesTheMembersProbabilities) {
  manual_seed(4);
  nn::Ensemble e;
  auto a = e.push_back(std::make_shared<nn::Linear>(5, 3));
  auto b = e.push_back(std::make_shared<nn::Linear>(5, 3));
  auto c = e.push_back(std::make_shared<nn::Linear>(5, 3));
  const Tensor x = rand({4, 5}, kFloat64);
  e.to(kFloat64);
  const Tensor expected =
      (softmax(a->forward(x), 1) + softmax(b->forward(x), 1) + softmax(c->forward(x), 1)) / 3.0;
  const Tensor p = e(x);
  EXPECT_TRUE(test::tensors_near(p, expected, 1e-15));
  EXPECT_TRUE(test::tensors_near(p.sum({1}), ones({4}, kFloat64), 1e-15));
  EXPECT_EQ(e.size(), 3u);
  EXPECT_TRUE(e.state_dict().contains("2.weight"));
  EXPECT_THROWS_WITH(nn::Ensemble()(x), "Ensemble", "no members");
  nn::Ensemble bad;
  bad.push_back(std::make_shared<nn::Linear>(5, 3));
  bad.push_back(std::make_shared<nn::Linear>(5, 2));
  bad.to(kFloat64);
  EXPECT_THROWS_WITH(bad(x), "Ensemble", "member 1", "[4, 2]");
}

TEST(Summary, LectureNetsAndAlexNetFirstLayer) {
  auto net = mlp({3, 4, 2});
  nn::ModelSummary s = nn::summary(*net, {1, 3});
  EXPECT_EQ(s.total_parameters, 26);
  ASSERT_EQ(s.layers.size(), 3u);
  EXPECT_EQ(s.layers[0].name, "0");
  EXPECT_EQ(s.layers[0].output_shape, (Shape{1, 4}));
  EXPECT_EQ(s.layers[0].parameters, 16);
  EXPECT_EQ(s.layers[0].flops, 2 * 3 * 4 + 4);
  EXPECT_EQ(s.layers[2].output_shape, (Shape{1, 2}));
  EXPECT_EQ(nn::summary(*mlp({3, 4, 4, 1}), {1, 3}).total_parameters, 41);

  nn::Sequential alex;
  alex.emplace<nn::Conv2d>(3, 96, 11, 4);
  alex.emplace<nn::ReLU>();
  alex.emplace<nn::LocalResponseNorm>(5);
  alex.emplace<nn::MaxPool2d>(Pool2dOptions{.kernel_size = 3, .stride = 2});
  std::ostringstream printed;
  nn::ModelSummary a = nn::summary(alex, {1, 3, 227, 227}, &printed);
  EXPECT_EQ(a.layers[0].output_shape, (Shape{1, 96, 55, 55}));
  EXPECT_EQ(a.layers[0].parameters, 34944);
  EXPECT_EQ(a.layers[0].flops, 2 * 96 * 55 * 55 * (3 * 11 * 11) + 96 * 55 * 55);
  EXPECT_EQ(a.layers[0].activation_bytes, 96 * 55 * 55 * 4);
  EXPECT_EQ(a.layers[3].output_shape, (Shape{1, 96, 27, 27}));
  EXPECT_EQ(a.total_parameters, 34944);
  EXPECT_NE(printed.str().find("34,944"), std::string::npos) << printed.str();
  EXPECT_NE(printed.str().find("[1, 96, 55, 55]"), std::string::npos);
  EXPECT_TRUE(alex.is_training());  // restored
  EXPECT_THROWS_WITH(nn::summary(alex, {1, 3, 5, 5}), "conv2d");

  // The memory column (a training step on meta tensors, layers one by one): the
  // convolution keeps its input (the conv's output is ReLU's to keep), ReLU its output.
  EXPECT_EQ(a.layers[0].kept_bytes, 3 * 227 * 227 * 4);
  EXPECT_EQ(a.layers[1].kept_bytes, 96 * 55 * 55 * 4);
  EXPECT_GE(a.layers[2].kept_bytes, 0);  // LRN: its scale on the reference path, else nothing
  EXPECT_GT(a.layers[3].kept_bytes, 0);  // max pooling: its indices or oneDNN's reserve
  EXPECT_GT(a.training_peak_bytes, a.layers[0].kept_bytes + a.layers[1].kept_bytes);
  EXPECT_NE(printed.str().find("kept (train)"), std::string::npos);
  EXPECT_NE(printed.str().find("training step peak"), std::string::npos);
  EXPECT_EQ(alex.parameters().front().device(), kCPU);
  // Where the training step cannot run (batch norm with one value per channel), the
  // column is empty and the summary still works.
  nn::Sequential bn;
  bn.emplace<nn::Linear>(3, 4);
  bn.emplace<nn::BatchNorm1d>(4);
  const nn::ModelSummary b = nn::summary(bn, {1, 3});
  EXPECT_EQ(b.layers[0].kept_bytes, -1);
  EXPECT_EQ(b.training_peak_bytes, -1);
}

}  // namespace
}  // namespace gpunn
