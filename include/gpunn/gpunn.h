// gpunn: one include for a training program.
#pragma once

#include <gpunn/autocast.h>
#include <gpunn/autograd.h>
#include <gpunn/config.h>
#include <gpunn/cuda.h>
#include <gpunn/data.h>
#include <gpunn/dtype.h>
#include <gpunn/error.h>
#include <gpunn/generator.h>
#include <gpunn/io/checkpoint.h>
#include <gpunn/io/safetensors.h>
#include <gpunn/memory.h>
#include <gpunn/models.h>
#include <gpunn/nn.h>
#include <gpunn/ops.h>
#include <gpunn/optim/adam.h>
#include <gpunn/optim/clip.h>
#include <gpunn/optim/grad_scaler.h>
#include <gpunn/optim/rmsprop.h>
#include <gpunn/optim/schedule.h>
#include <gpunn/optim/sgd.h>
#include <gpunn/profiler.h>
#include <gpunn/state_dict.h>
#include <gpunn/tensor.h>
#include <gpunn/version.h>
