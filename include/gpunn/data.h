// gpunn::data: datasets, loaders, readers, preprocessing and validation tools.
#pragma once

#include <gpunn/data/dataset.h>
#include <gpunn/data/loader.h>
#include <gpunn/data/readers.h>
#include <gpunn/data/synthetic.h>
#include <gpunn/data/text.h>
#include <gpunn/data/transforms.h>
#include <gpunn/data/validation.h>
