// Ready-made models: the networks the examples and benchmarks train, as
// nn::Sequential stacks whose state-dict names are the layer indices
// ("0.weight", "3.bias", ...).
//
// Shapes: N images of C channels, H x W pixels, as [N, C, H, W]; the models
// return logits [N, num_classes] (no softmax: pair them with cross_entropy).
// Parameters start from the layers' defaults (gpunn/nn/layers.h), drawn from the
// default generator, so gpunn::manual_seed makes a model reproducible.
#pragma once

#include <gpunn/nn/container.h>

#include <cstdint>
#include <memory>

namespace gpunn::models {

// AlexNet in the single-tower form of "One weird trick for parallelizing
// convolutional neural networks" (Krizhevsky, 2014), input [N, 3, 224, 224]:
//   conv 64 11x11 stride 4 pad 2, ReLU, max-pool 3 stride 2     -> [N, 64, 27, 27]
//   conv 192 5x5 pad 2, ReLU, max-pool 3 stride 2               -> [N, 192, 13, 13]
//   conv 384 3x3 pad 1, ReLU; conv 256 3x3 pad 1, ReLU;
//   conv 256 3x3 pad 1, ReLU, max-pool 3 stride 2               -> [N, 256, 6, 6]
//   flatten, dropout, FC 9216->4096, ReLU, dropout, FC 4096->4096, ReLU,
//   FC 4096->num_classes
// 61,100,840 parameters for 1000 classes. `dropout` is the drop probability.
std::shared_ptr<nn::Sequential> alexnet(int64_t num_classes = 1000, double dropout = 0.5);

// The CNN for 28x28 gray images (Fashion-MNIST), input [N, 1, 28, 28]:
//   conv 32 5x5 pad 2, ReLU, max-pool 2    -> [N, 32, 14, 14]
//   conv 64 5x5 pad 2, ReLU, max-pool 2    -> [N, 64, 7, 7]
//   flatten, FC 3136->128, ReLU, FC 128->num_classes
// 454,922 parameters for 10 classes.
std::shared_ptr<nn::Sequential> fashion_cnn(int64_t num_classes = 10);

// A multilayer perceptron for 28x28 gray images, input [N, 1, 28, 28] (or
// [N, 784]): flatten, FC 784->256, ReLU, FC 256->128, ReLU, FC 128->num_classes.
// 235,146 parameters for 10 classes.
std::shared_ptr<nn::Sequential> fashion_mlp(int64_t num_classes = 10);

// LeNet-5 (LeCun et al., 1998) in its common modern form (ReLU and max-pooling
// in place of the scaled tanh and trainable subsampling) for 28x28 gray images,
// input [N, 1, 28, 28]; the first convolution pads by 2, which gives the
// original's 32x32 input plane:
//   conv 6 5x5 pad 2, ReLU, max-pool 2     -> [N, 6, 14, 14]
//   conv 16 5x5, ReLU, max-pool 2          -> [N, 16, 5, 5]
//   flatten, FC 400->120, ReLU, FC 120->84, ReLU, FC 84->num_classes
// 61,706 parameters for 10 classes.
std::shared_ptr<nn::Sequential> lenet5(int64_t num_classes = 10);

// The two-layer network for the spiral data (gpunn::data::spiral), input
// [N, 2]: FC 2->hidden, ReLU, FC hidden->num_classes. 603 parameters for the
// defaults (100 hidden units, 3 classes).
std::shared_ptr<nn::Sequential> spiral_mlp(int64_t hidden = 100, int64_t num_classes = 3);

}  // namespace gpunn::models
