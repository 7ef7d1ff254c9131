// Every op gpunn offers.
#pragma once

#include <gpunn/ops/activation.h>
#include <gpunn/ops/attention.h>
#include <gpunn/ops/conv.h>
#include <gpunn/ops/dropout.h>
#include <gpunn/ops/elementwise.h>
#include <gpunn/ops/embedding.h>
#include <gpunn/ops/fused.h>
#include <gpunn/ops/index.h>
#include <gpunn/ops/linalg.h>
#include <gpunn/ops/loss.h>
#include <gpunn/ops/norm.h>
#include <gpunn/ops/optim.h>
#include <gpunn/ops/pool.h>
#include <gpunn/ops/reduce.h>
#include <gpunn/ops/rnn.h>
#include <gpunn/ops/shape.h>
#include <gpunn/ops/softmax.h>
