// gpunn: one include for a training program.
#pragma once

#include <gpunn/autograd.h>
#include <gpunn/config.h>
#include <gpunn/data.h>
#include <gpunn/dtype.h>
#include <gpunn/error.h>
#include <gpunn/generator.h>
#include <gpunn/memory.h>
#include <gpunn/ops.h>
#include <gpunn/state_dict.h>
#include <gpunn/tensor.h>
#include <gpunn/version.h>
