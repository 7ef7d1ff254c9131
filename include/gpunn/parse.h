// The in-memory forms of the file readers: the same checks and errors as reading a
// file, on its content already in memory. Each is declared next to its reader, so
// that core/ (checkpoints) does not see data/ (the dataset readers); this header
// gathers them: data::parse_idx and data::parse_cifar10_batch (gpunn/data/readers.h),
// io::parse_checkpoint (gpunn/io/checkpoint.h), io::parse_safetensors
// (gpunn/io/safetensors.h).
#pragma once

#include <gpunn/data/readers.h>
#include <gpunn/io/checkpoint.h>
#include <gpunn/io/safetensors.h>
