// Ready-made models (gpunn/models.h).
#include <gpunn/error.h>
#include <gpunn/models.h>
#include <gpunn/nn/layers.h>

namespace gpunn::models {

namespace {

void check_classes(const char* model, int64_t num_classes) {
  GPUNN_CHECK(num_classes >= 1, "models::", model, ": num_classes must be at least 1, got ",
              num_classes);
}

}  // namespace

std::shared_ptr<nn::Sequential> alexnet(int64_t num_classes, double dropout) {
  check_classes("alexnet", num_classes);
  GPUNN_CHECK(dropout >= 0.0 && dropout < 1.0, "models::alexnet: dropout must be in [0, 1), got ",
              dropout);
  auto net = std::make_shared<nn::Sequential>();
  const Pool2dOptions pool{.kernel_size = 3, .stride = 2};
  net->emplace<nn::Conv2d>(3, 64, 11, 4, 2);
  net->emplace<nn::ReLU>();
  net->emplace<nn::MaxPool2d>(pool);
  net->emplace<nn::Conv2d>(64, 192, 5, 1, 2);
  net->emplace<nn::ReLU>();
  net->emplace<nn::MaxPool2d>(pool);
  net->emplace<nn::Conv2d>(192, 384, 3, 1, 1);
  net->emplace<nn::ReLU>();
  net->emplace<nn::Conv2d>(384, 256, 3, 1, 1);
  net->emplace<nn::ReLU>();
  net->emplace<nn::Conv2d>(256, 256, 3, 1, 1);
  net->emplace<nn::ReLU>();
  net->emplace<nn::MaxPool2d>(pool);
  net->emplace<nn::Flatten>();
  net->emplace<nn::Dropout>(dropout);
  net->emplace<nn::Linear>(256 * 6 * 6, 4096);
  net->emplace<nn::ReLU>();
  net->emplace<nn::Dropout>(dropout);
  net->emplace<nn::Linear>(4096, 4096);
  net->emplace<nn::ReLU>();
  net->emplace<nn::Linear>(4096, num_classes);
  return net;
}

std::shared_ptr<nn::Sequential> fashion_cnn(int64_t num_classes) {
  check_classes("fashion_cnn", num_classes);
  auto net = std::make_shared<nn::Sequential>();
  net->emplace<nn::Conv2d>(1, 32, 5, 1, 2);
  net->emplace<nn::ReLU>();
  net->emplace<nn::MaxPool2d>(Pool2dOptions{.kernel_size = 2});
  net->emplace<nn::Conv2d>(32, 64, 5, 1, 2);
  net->emplace<nn::ReLU>();
  net->emplace<nn::MaxPool2d>(Pool2dOptions{.kernel_size = 2});
  net->emplace<nn::Flatten>();
  net->emplace<nn::Linear>(64 * 7 * 7, 128);
  net->emplace<nn::ReLU>();
  net->emplace<nn::Linear>(128, num_classes);
  return net;
}

std::shared_ptr<nn::Sequential> fashion_mlp(int64_t num_classes) {
  check_classes("fashion_mlp", num_classes);
  auto net = std::make_shared<nn::Sequential>();
  net->emplace<nn::Flatten>();
  net->emplace<nn::Linear>(28 * 28, 256);
  net->emplace<nn::ReLU>();
  net->emplace<nn::Linear>(256, 128);
  net->emplace<nn::ReLU>();
  net->emplace<nn::Linear>(128, num_classes);
  return net;
}

std::shared_ptr<nn::Sequential> lenet5(int64_t num_classes) {
  check_classes("lenet5", num_classes);
  auto net = std::make_shared<nn::Sequential>();
  net->emplace<nn::Conv2d>(1, 6, 5, 1, 2);
  net->emplace<nn::ReLU>();
  net->emplace<nn::MaxPool2d>(Pool2dOptions{.kernel_size = 2});
  net->emplace<nn::Conv2d>(6, 16, 5);
  net->emplace<nn::ReLU>();
  net->emplace<nn::MaxPool2d>(Pool2dOptions{.kernel_size = 2});
  net->emplace<nn::Flatten>();
  net->emplace<nn::Linear>(16 * 5 * 5, 120);
  net->emplace<nn::ReLU>();
  net->emplace<nn::Linear>(120, 84);
  net->emplace<nn::ReLU>();
  net->emplace<nn::Linear>(84, num_classes);
  return net;
}

std::shared_ptr<nn::Sequential> spiral_mlp(int64_t hidden, int64_t num_classes) {
  check_classes("spiral_mlp", num_classes);
  GPUNN_CHECK(hidden >= 1, "models::spiral_mlp: hidden must be at least 1, got ", hidden);
  auto net = std::make_shared<nn::Sequential>();
  net->emplace<nn::Linear>(2, hidden);
  net->emplace<nn::ReLU>();
  net->emplace<nn::Linear>(hidden, num_classes);
  return net;
}

}  // namespace gpunn::models
