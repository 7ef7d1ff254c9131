// gpunn::nn: modules, layers, losses and model summaries.
#pragma once

#include <gpunn/nn/container.h>
#include <gpunn/nn/estimate.h>
#include <gpunn/nn/init.h>
#include <gpunn/nn/layers.h>
#include <gpunn/nn/loss.h>
#include <gpunn/nn/module.h>
#include <gpunn/nn/rnn.h>
#include <gpunn/nn/summary.h>
#include <gpunn/nn/transformer.h>
