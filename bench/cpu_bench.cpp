// CPU training throughput of three networks, timed with gpunn's public API:
//   cnn      Fashion-MNIST CNN: conv 5x5 1->32 pad 2, ReLU, max-pool 2;
//            conv 5x5 32->64 pad 2, ReLU, max-pool 2; FC 3136->128, ReLU;
//            FC 128->10; cross-entropy; SGD with momentum (a training step)
//   mlp      784-256-10 with ReLU, the same loss and update (a training step)
//   alexnet  AlexNet (5 conv, 3 FC, no LRN) on 224x224 images: forward and
//            backward only, as bench/reference/torch_cpu.py does
// Inputs are random (the time of a step does not depend on the pixel values).
// Each model runs `warmup` untimed steps, then `iters` timed ones; the output
// is one JSON object per model with every step's time and the median.
//
//   cpu_bench [--impl auto|custom|vendor] [--models cnn,mlp,alexnet]
//             [--iters N] [--warmup N] [--batch-cnn 64] [--batch-alexnet 8]
//   cpu_bench --build-info     prints gpunn::build_info() on one line
#include <gpunn/gpunn.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace gpunn;

struct Param {
  Tensor value, momentum;
};

// Kaiming-uniform-like scale, as PyTorch's default layers (the speed does not
// depend on it; it keeps the activations finite over many steps).
Param make_param(const Shape& shape, int64_t fan_in) {
  Tensor w = randn(shape, TensorOptions(kFloat32));
  {
    NoGradGuard guard;
    w.mul_(1.0 / std::sqrt(static_cast<double>(fan_in)));
  }
  w.requires_grad_(true);
  return {w, zeros(shape, TensorOptions(kFloat32))};
}

// buf = momentum * buf + grad;  w -= lr * buf   (PyTorch's SGD with momentum)
void sgd_step(std::vector<Param>& params, double lr, double momentum) {
  NoGradGuard guard;
  for (Param& p : params) {
    Tensor g = p.value.grad();
    p.momentum.mul_(momentum).add_(g);
    p.value.add_(p.momentum, -lr);
    p.value.zero_grad(/*set_to_none=*/true);
  }
}

struct Model {
  std::vector<Param> params;
  std::function<Tensor(const Tensor&)> forward;
};

Model make_cnn() {
  Model m;
  m.params = {make_param({32, 1, 5, 5}, 25),   make_param({32}, 25),
              make_param({64, 32, 5, 5}, 800), make_param({64}, 800),
              make_param({128, 3136}, 3136),   make_param({128}, 3136),
              make_param({10, 128}, 128),      make_param({10}, 128)};
  m.forward = [&p = m.params](const Tensor& x) {
    Tensor h =
        max_pool2d(relu(conv2d(x, p[0].value, p[1].value, {.padding = 2})), {.kernel_size = 2});
    h = max_pool2d(relu(conv2d(h, p[2].value, p[3].value, {.padding = 2})), {.kernel_size = 2});
    h = relu(linear(h.flatten(1), p[4].value, p[5].value));
    return linear(h, p[6].value, p[7].value);
  };
  return m;
}

Model make_mlp() {
  Model m;
  m.params = {make_param({256, 784}, 784), make_param({256}, 784), make_param({10, 256}, 256),
              make_param({10}, 256)};
  m.forward = [&p = m.params](const Tensor& x) {
    return linear(relu(linear(x.flatten(1), p[0].value, p[1].value)), p[2].value, p[3].value);
  };
  return m;
}

Model make_alexnet() {
  Model m;
  m.params = {make_param({64, 3, 11, 11}, 363),   make_param({64}, 363),
              make_param({192, 64, 5, 5}, 1600),  make_param({192}, 1600),
              make_param({384, 192, 3, 3}, 1728), make_param({384}, 1728),
              make_param({256, 384, 3, 3}, 3456), make_param({256}, 3456),
              make_param({256, 256, 3, 3}, 2304), make_param({256}, 2304),
              make_param({4096, 9216}, 9216),     make_param({4096}, 9216),
              make_param({4096, 4096}, 4096),     make_param({4096}, 4096),
              make_param({1000, 4096}, 4096),     make_param({1000}, 4096)};
  m.forward = [&p = m.params](const Tensor& x) {
    const Pool2dOptions pool{.kernel_size = 3, .stride = 2};
    Tensor h =
        max_pool2d(relu(conv2d(x, p[0].value, p[1].value, {.stride = 4, .padding = 2})), pool);
    h = max_pool2d(relu(conv2d(h, p[2].value, p[3].value, {.padding = 2})), pool);
    h = relu(conv2d(h, p[4].value, p[5].value, {.padding = 1}));
    h = relu(conv2d(h, p[6].value, p[7].value, {.padding = 1}));
    h = max_pool2d(relu(conv2d(h, p[8].value, p[9].value, {.padding = 1})), pool);
    // [N, 256, 6, 6]: the adaptive average pool to 6x6 is the identity here.
    h = dropout(h.flatten(1), 0.5);
    h = dropout(relu(linear(h, p[10].value, p[11].value)), 0.5);
    h = relu(linear(h, p[12].value, p[13].value));
    return linear(h, p[14].value, p[15].value);
  };
  return m;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Times `step` and prints one JSON object.
void run(const std::string& name, const std::string& what, int64_t batch, int warmup, int iters,
         const std::function<void()>& step) {
  for (int i = 0; i < warmup; ++i) step();
  std::vector<double> ms;
  for (int i = 0; i < iters; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    step();
    const auto t1 = std::chrono::steady_clock::now();
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  const double med = median(ms);
  std::ostringstream os;
  os << "{\"framework\": \"gpunn\", \"model\": \"" << name << "\", \"what\": \"" << what
     << "\", \"impl\": \"" << impl_name(get_impl(OpFamily::Conv)) << "\", \"batch\": " << batch
     << ", \"warmup\": " << warmup << ", \"iters\": " << iters << ", \"median_ms\": " << med
     << ", \"images_per_s\": " << 1000.0 * static_cast<double>(batch) / med << ", \"ms\": [";
  for (size_t i = 0; i < ms.size(); ++i) os << (i ? ", " : "") << ms[i];
  os << "]}";
  std::cout << os.str() << std::endl;
}

void bench_training(const std::string& name, Model m, const Shape& x_shape, int warmup, int iters) {
  const Tensor x = randn(x_shape, TensorOptions(kFloat32));
  const Tensor y = randint(0, 10, {x_shape[0]});
  run(name, "train step (forward, backward, SGD momentum)", x_shape[0], warmup, iters, [&] {
    Tensor loss = cross_entropy(m.forward(x), y);
    loss.backward();
    sgd_step(m.params, 0.01, 0.9);
  });
}

void bench_alexnet(int64_t batch, int warmup, int iters) {
  Model m = make_alexnet();
  const Tensor x = randn({batch, 3, 224, 224}, TensorOptions(kFloat32));
  const Tensor y = randint(0, 1000, {batch});
  run("alexnet", "forward + backward", batch, warmup, iters, [&] {
    for (Param& p : m.params) p.value.zero_grad(/*set_to_none=*/true);
    cross_entropy(m.forward(x), y).backward();
  });
}

}  // namespace

int main(int argc, char** argv) {
  std::string models = "cnn,mlp,alexnet";
  int iters = 20, warmup = 3;
  int64_t batch_cnn = 64, batch_alexnet = 8;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "cpu_bench: " << arg << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    try {
      if (arg == "--build-info") {
        std::string info = build_info();
        std::replace(info.begin(), info.end(), '\n', ';');
        std::cout << info << "\n";
        return 0;
      }
      if (arg == "--impl") {
        set_impl(parse_impl(value()));
      } else if (arg == "--models") {
        models = value();
      } else if (arg == "--iters") {
        iters = std::stoi(value());
      } else if (arg == "--warmup") {
        warmup = std::stoi(value());
      } else if (arg == "--batch-cnn") {
        batch_cnn = std::stoll(value());
      } else if (arg == "--batch-alexnet") {
        batch_alexnet = std::stoll(value());
      } else {
        std::cerr << "usage: cpu_bench [--build-info] [--impl auto|custom|vendor] [--models "
                     "cnn,mlp,alexnet] "
                     "[--iters N] [--warmup N] [--batch-cnn N] [--batch-alexnet N]\n";
        return 2;
      }
    } catch (const std::exception& e) {
      std::cerr << "cpu_bench: bad value for " << arg << ": " << e.what() << "\n";
      return 2;
    }
  }
  if (iters < 1 || warmup < 0 || batch_cnn < 1 || batch_alexnet < 1) {
    std::cerr << "cpu_bench: --iters and the batches must be at least 1, --warmup at least 0\n";
    return 2;
  }
  manual_seed(0);
  try {
    std::stringstream list(models);
    for (std::string model; std::getline(list, model, ',');) {
      if (model == "cnn") {
        bench_training("cnn", make_cnn(), {batch_cnn, 1, 28, 28}, warmup, iters);
      } else if (model == "mlp") {
        bench_training("mlp", make_mlp(), {batch_cnn, 1, 28, 28}, warmup, iters);
      } else if (model == "alexnet") {
        bench_alexnet(batch_alexnet, warmup, iters);
      } else {
        std::cerr << "cpu_bench: unknown model \"" << model << "\" (cnn, mlp, alexnet)\n";
        return 2;
      }
    }
  } catch (const Error& e) {
    std::cerr << "cpu_bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
