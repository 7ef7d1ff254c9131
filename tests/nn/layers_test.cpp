// Layers: each equals its op with the layer's parameters, and passes gradient
// and JVP checks in double with respect to its input and its parameters.
#include <gpunn/gpunn.h>
#include <gtest/gtest.h>

#include "test_util.h"

namespace gpunn {
namespace {

using test::derivatives_ok;
using test::leaf;
using test::tensors_near;
using test::values_near;

// Checks a layer's derivatives with respect to its input and the parameters
// in `params` (references to the layer's public members, swapped for the
// checker's tensors inside f).
void check_layer(nn::Module& layer, const Tensor& x, std::vector<Tensor*> params,
                 const char* what) {
  layer.to(kFloat64);
  std::vector<Tensor> inputs{leaf(x.to(kFloat64))};
  for (Tensor* p : params) inputs.push_back(leaf(p->detach().clone()));
  const std::vector<Tensor> saved = [&] {
    std::vector<Tensor> s;
    for (Tensor* p : params) s.push_back(*p);
    return s;
  }();
  EXPECT_TRUE(derivatives_ok(
      [&](const std::vector<Tensor>& in) {
        for (size_t i = 0; i < params.size(); ++i) *params[i] = in[i + 1];
        return layer(in[0]);
      },
      inputs))
      << what;
  for (size_t i = 0; i < params.size(); ++i) *params[i] = saved[i];
}

TEST(Layers, LinearAndConvEqualTheirOps) {
  nn::Linear lin(5, 3);
  Tensor x = test::uniform({2, 5}).to(kFloat32);
  EXPECT_TRUE(tensors_near(lin(x), linear(x, lin.weight, lin.bias), 0));
  const double bound = 1.0 / std::sqrt(5.0);
  EXPECT_LE(max(abs(lin.weight)).item(), bound);
  nn::Conv2d conv({.in_channels = 4,
                   .out_channels = 6,
                   .kernel_size = {3, 2},
                   .stride = 2,
                   .padding = 1,
                   .groups = 2});
  EXPECT_EQ(conv.weight.shape(), (Shape{6, 2, 3, 2}));
  Tensor img = test::uniform({2, 4, 7, 6}).to(kFloat32);
  EXPECT_TRUE(tensors_near(conv(img),
                           conv2d(img, conv.weight, conv.bias,
                                  gpunn::Conv2dFuncOptions{.stride = 2, .padding = 1, .groups = 2}),
                           0));
}

// Note [fusing Conv2d and ReLU] (layers/nn/layers.cpp): Sequential runs a Conv2d followed by
// a ReLU as one conv2d with the ReLU epilogue, with the same output and gradients bit for bit;
// a subclass of either, an observer (nn::summary) or anomaly mode keeps them separate.
TEST(Layers, SequentialFusesConv2dOrLinearAndRelu) {
  auto make = [] {
    Generator g(5);
    auto seq = std::make_shared<nn::Sequential>();
    seq->push_back(std::make_shared<nn::Conv2d>(
        nn::Conv2dOptions{.in_channels = 2, .out_channels = 4, .kernel_size = 3, .padding = 1},
        TensorOptions(), &g));
    seq->emplace<nn::ReLU>();
    seq->push_back(std::make_shared<nn::Conv2d>(
        nn::Conv2dOptions{.in_channels = 4, .out_channels = 3, .kernel_size = 3}, TensorOptions(),
        &g));
    seq->emplace<nn::ReLU>();
    seq->emplace<nn::Flatten>();
    seq->push_back(std::make_shared<nn::Linear>(48, 5, true, TensorOptions(), &g));
    seq->emplace<nn::ReLU>();
    seq->push_back(std::make_shared<nn::Linear>(5, 2, true, TensorOptions(), &g));
    return seq;
  };
  const Tensor x = test::uniform({2, 2, 6, 6}).to(kFloat32);
  // The layers one by one, as separate ops.
  auto reference = make();
  Tensor h = x;
  for (const auto& m : *reference) h = (*m)(h);
  sum(h).backward();

  auto fused = make();
  LaunchTrace trace;
  const Tensor y = (*fused)(x);
  EXPECT_EQ(trace.count("relu"), 0) << "the ReLUs ran as separate ops";
  EXPECT_EQ(trace.count("conv2d"), 2);
  EXPECT_EQ(trace.count("linear"), 2);
  EXPECT_TRUE(tensors_near(y, h, 0));
  sum(y).backward();
  const auto want = reference->named_parameters(), got = fused->named_parameters();
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    SCOPED_TRACE(got[i].first);
    EXPECT_TRUE(tensors_near(got[i].second.grad(), want[i].second.grad(), 0));
  }

  {  // an observer sees every layer: nothing fused
    trace.clear();
    nn::summary(*fused, {1, 2, 6, 6});
    EXPECT_EQ(trace.count("relu"), 3);
  }
  {  // anomaly messages name each layer: nothing fused
    const autograd::DetectAnomalyGuard anomaly;
    trace.clear();
    EXPECT_TRUE(tensors_near((*fused)(x), h, 0));
    EXPECT_EQ(trace.count("relu"), 3);
  }
  {  // a subclass may change forward: not fused
    struct MyReLU : nn::ReLU {};
    nn::Sequential seq;
    seq.push_back(std::make_shared<nn::Conv2d>(2, 4, 3));
    seq.push_back(std::make_shared<MyReLU>());
    trace.clear();
    seq(x);
    EXPECT_EQ(trace.count("relu"), 1);
  }
}

TEST(Layers, ConvTransposeEqualsItsOpAndInitializesLikeConv) {
  nn::ConvTranspose2d up({.in_channels = 4,
                          .out_channels = 6,
                          .kernel_size = {4, 3},
                          .stride = 2,
                          .padding = 1,
                          .output_padding = {1, 0},
                          .groups = 2});
  EXPECT_EQ(up.weight.shape(), (Shape{4, 3, 4, 3}));
  EXPECT_EQ(up.bias.shape(), (Shape{6}));
  // Uniform in ±1/sqrt(fan_in) with fan_in = (out/groups)·kh·kw = 36: all inside, and spread
  // over most of the range (72 draws).
  const double bound = 1.0 / std::sqrt(36.0);
  EXPECT_LE(max(abs(up.weight)).item(), bound);
  EXPECT_GT(max(abs(up.weight)).item(), 0.8 * bound);
  EXPECT_LE(max(abs(up.bias)).item(), bound);
  Tensor x = test::uniform({2, 4, 3, 5}).to(kFloat32);
  Tensor y = up(x);
  EXPECT_EQ(y.shape(), (Shape{2, 6, 7, 9}));
  EXPECT_TRUE(tensors_near(
      y,
      conv_transpose2d(x, up.weight, up.bias,
                       {.stride = 2, .padding = 1, .output_padding = {1, 0}, .groups = 2}),
      0));
  // The state dict holds weight and bias under those names; without a bias, only weight.
  const auto names = [](nn::Module& m) {
    std::vector<std::string> n;
    for (const auto& [name, t] : m.state_dict()) n.push_back(name);
    return n;
  };
  EXPECT_EQ(names(up), (std::vector<std::string>{"weight", "bias"}));
  nn::ConvTranspose2d nobias(
      {.in_channels = 2, .out_channels = 1, .kernel_size = 2, .bias = false});
  EXPECT_EQ(names(nobias), (std::vector<std::string>{"weight"}));
  EXPECT_EQ(nobias.extra_repr(), "2, 1, kernel_size=(2, 2), stride=(1, 1), bias=false");
  EXPECT_EQ(up.extra_repr(),
            "4, 6, kernel_size=(4, 3), stride=(2, 2), padding=(1, 1), output_padding=(1, 0), "
            "groups=2");
  EXPECT_THROWS_WITH(nn::ConvTranspose2d({.in_channels = 3, .out_channels = 4, .groups = 2}),
                     "ConvTranspose2d", "groups 2", "in_channels 3");
  EXPECT_THROWS_WITH(nn::ConvTranspose2d(0, 4, 3), "ConvTranspose2d", "in_channels");
}

TEST(Layers, Derivatives) {
  {
    nn::Linear l(4, 3);
    check_layer(l, test::uniform({2, 4}), {&l.weight, &l.bias}, "Linear");
  }
  {
    nn::Conv2d c({.in_channels = 2, .out_channels = 3, .kernel_size = 3, .padding = 1});
    check_layer(c, test::uniform({2, 2, 4, 3}), {&c.weight, &c.bias}, "Conv2d");
    nn::ConvTranspose2d t(2, 3, 4, 2, 1);
    check_layer(t, test::uniform({2, 2, 3, 2}), {&t.weight, &t.bias}, "ConvTranspose2d");
  }
  {
    nn::MaxPool2d m({.kernel_size = 2});
    check_layer(m, test::uniform({1, 2, 4, 4}), {}, "MaxPool2d");
    nn::AvgPool2d a({.kernel_size = 3, .stride = 2, .padding = 1});
    check_layer(a, test::uniform({1, 2, 5, 5}), {}, "AvgPool2d");
  }
  {
    nn::LeakyReLU lr(0.2);
    check_layer(lr, test::away_from_zero({3, 4}), {}, "LeakyReLU");
    nn::ReLU r;
    check_layer(r, test::away_from_zero({3, 4}), {}, "ReLU");
    nn::Sigmoid s;
    check_layer(s, test::uniform({3, 4}), {}, "Sigmoid");
    nn::Tanh t;
    check_layer(t, test::uniform({3, 4}), {}, "Tanh");
    nn::Softmax sm(1);
    check_layer(sm, test::uniform({3, 4}), {}, "Softmax");
    nn::LogSoftmax lsm(-1);
    check_layer(lsm, test::uniform({3, 4}), {}, "LogSoftmax");
    nn::Flatten f;
    check_layer(f, test::uniform({2, 3, 2}), {}, "Flatten");
  }
  {
    nn::BatchNorm1d bn(3);
    {
      NoGradGuard g;
      bn.weight.copy_(test::uniform({3}, 0.5, 1.5));
    }
    check_layer(bn, test::uniform({4, 3}), {&bn.weight, &bn.bias}, "BatchNorm1d train");
    nn::BatchNorm2d bn2(2);
    check_layer(bn2, test::uniform({2, 2, 3, 3}), {&bn2.weight, &bn2.bias}, "BatchNorm2d train");
    bn2.eval();
    check_layer(bn2, test::uniform({2, 2, 3, 3}), {&bn2.weight, &bn2.bias}, "BatchNorm2d eval");
  }
  {
    nn::LocalResponseNorm lrn(3, 0.5, 0.75, 1.0);
    check_layer(lrn, test::uniform({1, 4, 2, 2}), {}, "LocalResponseNorm");
  }
  {
    // Embedding: derivatives with respect to the weight (indices are integers).
    nn::Embedding e(5, 3);
    e.to(kFloat64);
    Tensor idx = tensor_from(std::vector<int64_t>{4, 0, 4, 2}, {2, 2});
    EXPECT_TRUE(derivatives_ok(
        [&](const std::vector<Tensor>& in) {
          e.weight = in[0];
          return e(idx);
        },
        {leaf(e.weight.detach().clone())}));
  }
}

TEST(Layers, DropoutTrainAndEval) {
  Generator gen(7);
  nn::Dropout d(0.5, &gen);
  Tensor x = ones({1000});
  Tensor y = d(x);
  const std::vector<float> v = y.to_vector<float>();
  int zeros_seen = 0;
  for (float e : v) {
    EXPECT_TRUE(e == 0.0f || e == 2.0f);
    zeros_seen += e == 0.0f;
  }
  EXPECT_GT(zeros_seen, 400);
  EXPECT_LT(zeros_seen, 600);
  d.eval();
  EXPECT_TRUE(tensors_near(d(x), x, 0));
}

TEST(Layers, BatchNormChecksInput) {
  nn::BatchNorm2d bn(3);
  EXPECT_THROWS_WITH(bn(zeros({2, 3})), "BatchNorm2d", "4-D", "[2, 3]");
  EXPECT_THROWS_WITH(bn(zeros({2, 4, 2, 2})), "BatchNorm2d", "3 channels", "[2, 4, 2, 2]");
  nn::BatchNorm1d bn1(3, {.affine = false, .track_running_stats = false});
  EXPECT_EQ(bn1.num_parameters(), 0);
  EXPECT_TRUE(bn1.state_dict().empty());
  bn1.eval();  // no running stats: batch statistics even in eval
  Tensor y = bn1(test::uniform({5, 3}).to(kFloat32));
  EXPECT_TRUE(test::values_near(mean(y, {0}), {0, 0, 0}, 1e-6));
}

// ---- recurrent layers -------------------------------------------------------------------------

TEST(Rnn, MatchesTheLectureRecurrence) {
  nn::RNN rnn({.input_size = 3, .hidden_size = 4});
  rnn.to(kFloat64);
  const auto& p = rnn.layers[0];
  Tensor x = test::uniform({5, 2, 3});  // T = 5, N = 2
  Tensor h0 = test::uniform({1, 2, 4});
  nn::RnnOutput out = rnn.forward(x, h0);
  Tensor s = h0.squeeze(0);
  for (int64_t t = 0; t < 5; ++t) {
    // s_t = tanh(U x_t + W s_{t-1} + b)
    Tensor xt = x.narrow(0, t, 1).squeeze(0);
    s = tanh(
        add(add(matmul(xt, p.weight_ih.transpose(0, 1)), matmul(s, p.weight_hh.transpose(0, 1))),
            add(p.bias_ih, p.bias_hh)));
    EXPECT_TRUE(tensors_near(out.output.narrow(0, t, 1).squeeze(0), s, 1e-14)) << "t = " << t;
  }
  EXPECT_TRUE(tensors_near(out.h_n.squeeze(0), s, 1e-14));
  EXPECT_FALSE(out.c_n.defined());
}

TEST(Rnn, LstmMatchesComposedGates) {
  nn::LSTM lstm({.input_size = 2, .hidden_size = 3, .batch_first = true});
  lstm.to(kFloat64);
  const auto& p = lstm.layers[0];
  Tensor x = test::uniform({2, 4, 2});  // N = 2, T = 4
  nn::RnnOutput out = lstm.forward(x, Tensor(), Tensor());
  EXPECT_EQ(out.output.shape(), (Shape{2, 4, 3}));
  Tensor h = zeros({2, 3}, kFloat64), c = zeros({2, 3}, kFloat64);
  for (int64_t t = 0; t < 4; ++t) {
    Tensor g = add(add(linear(x.narrow(1, t, 1).squeeze(1), p.weight_ih, p.bias_ih),
                       linear(h, p.weight_hh, Tensor())),
                   p.bias_hh);
    Tensor i = sigmoid(g.narrow(1, 0, 3)), f = sigmoid(g.narrow(1, 3, 3));
    Tensor gg = tanh(g.narrow(1, 6, 3)), o = sigmoid(g.narrow(1, 9, 3));
    c = add(mul(f, c), mul(i, gg));
    h = mul(o, tanh(c));
    EXPECT_TRUE(tensors_near(out.output.narrow(1, t, 1).squeeze(1), h, 1e-14)) << "t = " << t;
  }
  EXPECT_TRUE(tensors_near(out.c_n.squeeze(0), c, 1e-14));
}

// The layers take their steps with unbind (one gradient node, O(T) backward); the gradients
// are bit for bit those of selecting each step separately (the O(T²) way they replaced).
TEST(Rnn, StepsByUnbindGiveTheSameGradientsBitForBit) {
  manual_seed(41);
  nn::LSTM lstm({.input_size = 3, .hidden_size = 4, .num_layers = 2});
  const Tensor x0 = test::uniform({7, 2, 3}).to(kFloat32);
  auto run = [&](bool by_unbind) {
    lstm.zero_grad();
    Tensor x = x0.detach().requires_grad_(true);
    Tensor loss;
    if (by_unbind) {
      loss = (lstm.forward(x, Tensor(), Tensor()).output * x0.narrow(2, 0, 1)).sum();
    } else {
      // The same two-layer LSTM with each step selected on its own.
      std::vector<Tensor> steps;
      for (int64_t t = 0; t < 7; ++t) steps.push_back(x.narrow(0, t, 1).squeeze(0));
      for (const auto& p : lstm.layers) {
        Tensor h = zeros({2, 4}), c = zeros({2, 4});
        for (Tensor& step : steps) {
          const LstmState st = lstm_cell(
              add(linear(step, p.weight_ih, p.bias_ih), linear(h, p.weight_hh, p.bias_hh)), c);
          h = st.h;
          c = st.c;
          step = h;
        }
      }
      loss = (stack(steps, 0) * x0.narrow(2, 0, 1)).sum();
    }
    loss.backward();
    std::vector<Tensor> grads{x.grad().clone()};
    for (const Tensor& p : lstm.parameters()) grads.push_back(p.grad().clone());
    return grads;
  };
  const std::vector<Tensor> a = run(true), b = run(false);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_TRUE(test::tensors_near(a[i], b[i], 0)) << "gradient " << i;
}

TEST(Rnn, Derivatives) {
  for (auto relu_cell : {false, true}) {
    nn::RNN rnn(
        {.input_size = 2,
         .hidden_size = 3,
         .num_layers = 2,
         .nonlinearity = relu_cell ? nn::RnnNonlinearity::Relu : nn::RnnNonlinearity::Tanh});
    auto& l0 = rnn.layers[0];
    auto& l1 = rnn.layers[1];
    check_layer(rnn, test::uniform({3, 2, 2}),
                {&l0.weight_ih, &l0.weight_hh, &l0.bias_ih, &l1.weight_hh, &l1.bias_hh},
                relu_cell ? "RNN relu" : "RNN tanh");
  }
  nn::LSTM lstm({.input_size = 2, .hidden_size = 2});
  auto& p = lstm.layers[0];
  check_layer(lstm, test::uniform({3, 2, 2}), {&p.weight_ih, &p.weight_hh, &p.bias_ih, &p.bias_hh},
              "LSTM");
}

// Values from PyTorch 1.13 in float64 (torch.nn.GRU(3, 2) with these weights, the loss
// Σ output ⊙ 0.1·arange): the output, the last state and the gradients.
TEST(Rnn, GruMatchesPyTorch) {
  nn::GRU gru({.input_size = 3, .hidden_size = 2});
  gru.to(kFloat64);
  auto& p = gru.layers[0];
  {
    NoGradGuard no_grad;
    p.weight_ih.copy_(tensor({0.1, -0.05, 0.2, 0.2, -0.15, 0.3, 0.3, -0.25, 0.4, 0.4, -0.35, 0.5,
                              0.5, -0.45, 0.6, 0.6, -0.55, 0.7},
                             {6, 3}, kFloat64));
    p.weight_hh.copy_(tensor({-0.4, -0.2, 0.0, 0.2, 0.4, -0.4, -0.2, 0.0, 0.2, 0.4, -0.4, -0.2},
                             {6, 2}, kFloat64));
    p.bias_ih.copy_(tensor({-0.2, -0.1, 0.0, 0.1, 0.2, 0.3}, {6}, kFloat64));
    p.bias_hh.copy_(tensor({0.15, 0.1, 0.05, 0.0, -0.05, -0.1}, {6}, kFloat64));
  }
  const Tensor x = tensor({0.0, 0.1, 0.2, -0.5, -0.4, -0.3, 0.3, 0.4, 0.5, -0.2, -0.1, 0.0, 0.6,
                           0.7, 0.8, 0.1, 0.2, 0.3},
                          {3, 2, 3}, kFloat64)
                       .requires_grad_(true);
  const Tensor h0 = tensor({0.2, -0.1, 0.0, 0.3}, {1, 2, 2}, kFloat64);
  const nn::RnnOutput out = gru.forward(x, h0);
  EXPECT_TRUE(values_near(
      out.output,
      {0.22033425794852232, 0.08515773119866554, -0.010347019620342204, 0.10636482993750897,
       0.31807864667091146, 0.2464917909579542, 0.065772365431114, 0.13957255242834532,
       0.4377276575848781, 0.38129950436508353, 0.1926339003274587, 0.2391481131213829},
      1e-13));
  EXPECT_TRUE(values_near(out.h_n, out.output.narrow(0, 2, 1).to_vector<double>(), 0));
  EXPECT_FALSE(out.c_n.defined());
  (out.output * arange(12.0, TensorOptions(kFloat64)).reshape({3, 2, 2}) * 0.1).sum().backward();
  EXPECT_TRUE(
      values_near(x.grad(),
                  {0.24717511817730223, -0.22695076074282694, 0.2876238330462528,
                   0.5450297392512583, -0.49544859915976935, 0.6441920194342362, 0.3032907626374928,
                   -0.2790003758407468, 0.3518715362309848, 0.6259988639456828, -0.5714793631700723,
                   0.7350378654969036, 0.18893739698530934, -0.17448896917402895,
                   0.2178342526078701, 0.4183242093187338, -0.3831444205170749, 0.4886837869220516},
                  1e-13));
  EXPECT_TRUE(values_near(
      p.weight_ih.grad(),
      {0.001307980334926648, 0.002529628487573493, 0.0037512766402203403, -0.001781063574162613,
       -0.012213943089387806, -0.022646822604613003, -0.04866391727318683, -0.06998885290663749,
       -0.09131378854008815, -0.12340788479863471, -0.14675671660152373, -0.1701055484044127,
       -0.03772081234560141, 0.15874206567753565, 0.3552049437006728, -0.11414067424151403,
       0.13976864995678684, 0.39367797415508776},
      1e-13));
  EXPECT_TRUE(values_near(p.bias_hh.grad(),
                          {0.012216481526468457, -0.10432879515225194, -0.2132493563345066,
                           -0.2334883180288898, 0.9404779514611923, 1.3054574720997496},
                          1e-13));
  EXPECT_EQ(gru.named_parameters().size(), 4u);
  EXPECT_EQ(gru.named_parameters()[0].first, "weight_ih_l0");
}

TEST(Rnn, GruDerivativesAndErrors) {
  nn::GRU gru({.input_size = 2, .hidden_size = 3, .num_layers = 2, .batch_first = true});
  auto& l0 = gru.layers[0];
  auto& l1 = gru.layers[1];
  check_layer(gru, test::uniform({2, 3, 2}),
              {&l0.weight_ih, &l0.weight_hh, &l0.bias_hh, &l1.weight_ih, &l1.bias_ih}, "GRU");
  EXPECT_EQ(gru.forward(zeros({2, 5, 2}, kFloat64), Tensor()).output.shape(), (Shape{2, 5, 3}));
  EXPECT_EQ(gru.forward(zeros({2, 5, 2}, kFloat64), Tensor()).h_n.shape(), (Shape{2, 2, 3}));
  EXPECT_THROWS_WITH(gru.forward(zeros({5, 2}, kFloat64), Tensor()), "GRU", "[N, T, I]");
  EXPECT_THROWS_WITH(gru_cell(zeros({2, 6}), zeros({2, 5}), zeros({2, 2})), "gru_cell", "[2, 6]",
                     "[2, 5]");
}

TEST(Rnn, CudaGruMatchesTheCpu) {
  GPUNN_REQUIRE_GPU();
  manual_seed(42);
  nn::GRU cpu({.input_size = 3, .hidden_size = 4, .num_layers = 2});
  nn::GRU gpu({.input_size = 3, .hidden_size = 4, .num_layers = 2});
  gpu.load_state_dict(cpu.state_dict());
  gpu.to(Device::cuda(0));
  const Tensor x = test::uniform({5, 2, 3}).to(kFloat32);
  const Tensor a = cpu.forward(x, Tensor()).output,
               b = gpu.forward(x.to(Device::cuda(0)), Tensor()).output;
  EXPECT_TRUE(tensors_near(b.to(kCPU), a, 1e-5));
  a.sum().backward();
  b.sum().backward();
  EXPECT_TRUE(
      tensors_near(gpu.layers[0].weight_ih.grad().to(kCPU), cpu.layers[0].weight_ih.grad(), 1e-5));
}

TEST(Rnn, TruncatedBackpropagationStopsAtTheChunk) {
  nn::RNN rnn({.input_size = 1, .hidden_size = 2});
  Tensor x1 = leaf(ones({3, 1, 1})), x2 = ones({3, 1, 1});
  nn::RnnOutput a = rnn.forward(x1, Tensor());
  nn::RnnOutput b = rnn.forward(x2, a.h_n.detach());
  sum(b.output).backward();
  EXPECT_FALSE(x1.grad().defined());  // the chunk boundary cut the graph
  EXPECT_TRUE(rnn.layers[0].weight_hh.grad().defined());
  // Without detach, the gradient flows into the first chunk.
  rnn.zero_grad();
  nn::RnnOutput c = rnn.forward(x1, Tensor());
  sum(rnn.forward(x2, c.h_n).output).backward();
  EXPECT_TRUE(x1.grad().defined());
}

TEST(Rnn, BadInput) {
  nn::LSTM lstm({.input_size = 3, .hidden_size = 2});
  EXPECT_THROWS_WITH(lstm.forward(zeros({4, 3})), "LSTM", "[T, N, I]", "[4, 3]");
  EXPECT_THROWS_WITH(lstm.forward(zeros({4, 2, 5})), "LSTM", "input_size 3", "[4, 2, 5]");
  EXPECT_THROWS_WITH(lstm.forward(zeros({4, 2, 3}), zeros({1, 3, 2}), Tensor()), "LSTM", "h0",
                     "[1, 2, 2]", "[1, 3, 2]");
  EXPECT_THROWS_WITH(nn::RNN({.input_size = 0, .hidden_size = 2}), "RNN", "input_size");
}

TEST(Losses, ModulesEqualTheirOps) {
  Tensor x = test::uniform({4, 3}).to(kFloat32);
  Tensor y = tensor_from(std::vector<int64_t>{0, 2, 1, 2}, {4});
  nn::CrossEntropyLoss ce({.weight = tensor({1.0, 2.0, 0.5}), .label_smoothing = 0.1});
  EXPECT_DOUBLE_EQ(
      ce(x, y).item(),
      cross_entropy(x, y, {.weight = tensor({1.0, 2.0, 0.5}), .label_smoothing = 0.1}).item());
  EXPECT_EQ(ce.buffers().size(), 1u);
  nn::MultiMarginLoss svm;
  EXPECT_DOUBLE_EQ(svm(x, y).item(), multi_margin_loss(x, y).item());
  nn::MSELoss mse;
  EXPECT_DOUBLE_EQ(mse(x, mul(x, 0.5)).item(), mse_loss(x, mul(x, 0.5)).item());
  nn::BCEWithLogitsLoss bce;
  Tensor t = test::uniform({4, 3}, 0, 1).to(kFloat32);
  EXPECT_DOUBLE_EQ(bce(x, t).item(), binary_cross_entropy_with_logits(x, t).item());
  nn::NLLLoss nll;
  EXPECT_DOUBLE_EQ(nll(log_softmax(x, 1), y).item(), cross_entropy(x, y).item());
}

}  // namespace
}  // namespace gpunn
