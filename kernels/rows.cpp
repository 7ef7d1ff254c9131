// Every op table's rows (kernels/base/table.h): per family and pass, per dtype, the
// reference loops, oneDNN, our CUDA kernels and cuBLAS/cuDNN. The only file whose
// dispatch depends on the build: an implementation not built in is an empty entry.
// A new dtype or kernel is a line here and its definition in kernels/<backend>/.
#include "kernels/activation.h"
#include "kernels/attention.h"
#include "kernels/conv.h"
#include "kernels/copy.h"
#include "kernels/elementwise.h"
#include "kernels/gemm.h"
#include "kernels/index.h"
#include "kernels/loss.h"
#include "kernels/norm.h"
#include "kernels/optim.h"
#include "kernels/pool.h"
#include "kernels/random.h"
#include "kernels/reduce.h"
#include "kernels/rnn.h"
#include "kernels/softmax.h"
#if GPUNN_WITH_CUDA
#include "kernels/cuda/conv.cuh"  // kConvCudaVariants
#endif

// An entry present only in builds with that backend. Variadic, so braces with commas pass.
#if GPUNN_WITH_ONEDNN
#define ONEDNN(...) __VA_ARGS__
#else
#define ONEDNN(...)
#endif
#if GPUNN_WITH_CUDA
#define CUDA(...) __VA_ARGS__
#else
#define CUDA(...)
#endif
#if GPUNN_WITH_CUDNN
#define CUDNN(...) __VA_ARGS__
#else
#define CUDNN(...)
#endif
#if GPUNN_WITH_CUDNN_FRONTEND
#define CUDNN_FRONTEND(...) __VA_ARGS__
#else
#define CUDNN_FRONTEND(...)
#endif

// An entry or row left out is empty on purpose (no such implementation); GCC 12 warns
// about members omitted from designated initializers all the same.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

// The rows are laid out by hand, one entry per line (clang-format would indent each
// macro as a continuation of the one before).
// clang-format off
namespace gpunn::kernels {

// ---- softmax ----------------------------------------------------------------------------
const OpTable<SoftmaxArgs> softmax_forward{
    .name = "softmax",
    .family = OpFamily::Softmax,
    .f32 = {.cpu = {softmax_forward_cpu<float>},
            ONEDNN(.cpu_vendor = {softmax_forward_onednn, softmax_forward_onednn_supported}, )
            CUDA(.cuda = {softmax_forward_cuda<float>}, )
            CUDNN(.cuda_vendor = {.run = softmax_forward_cudnn,
                                  .supported = softmax_forward_cudnn_supported,
                                  .libraries = kCudnn})},
    .f64 = {.cpu = {softmax_forward_cpu<double>},
            CUDA(.cuda = {softmax_forward_cuda<double>}, )
            CUDNN(.cuda_vendor = {.run = softmax_forward_cudnn,
                                  .supported = softmax_forward_cudnn_supported,
                                  .libraries = kCudnn})},
    .bf16 = {.cpu = {softmax_forward_cpu<BFloat16>}, CUDA(.cuda = {softmax_forward_cuda<BFloat16>})},
    .f16 = {.cpu = {softmax_forward_cpu<Half>}, CUDA(.cuda = {softmax_forward_cuda<Half>})}};

const OpTable<SoftmaxBackwardArgs> softmax_backward{
    .name = "softmax_backward",
    .family = OpFamily::Softmax,
    .f32 = {.cpu = {softmax_backward_cpu<float>},
            ONEDNN(.cpu_vendor = {softmax_backward_onednn, softmax_backward_onednn_supported}, )
            CUDA(.cuda = {softmax_backward_cuda<float>}, )
            CUDNN(.cuda_vendor = {.run = softmax_backward_cudnn,
                                  .supported = softmax_backward_cudnn_supported,
                                  .libraries = kCudnn})},
    .f64 = {.cpu = {softmax_backward_cpu<double>},
            CUDA(.cuda = {softmax_backward_cuda<double>}, )
            CUDNN(.cuda_vendor = {.run = softmax_backward_cudnn,
                                  .supported = softmax_backward_cudnn_supported,
                                  .libraries = kCudnn})},
    .bf16 = {.cpu = {softmax_backward_cpu<BFloat16>}, CUDA(.cuda = {softmax_backward_cuda<BFloat16>})},
    .f16 = {.cpu = {softmax_backward_cpu<Half>}, CUDA(.cuda = {softmax_backward_cuda<Half>})}};

// ---- activation ---------------------------------------------------------------------------
const OpTable<ActivationArgs> activation_forward{
    .name = "activation",
    .family = OpFamily::Activation,
    .f32 = {.cpu = {activation_forward_cpu<float>},
            ONEDNN(.cpu_vendor = {activation_forward_onednn, activation_forward_onednn_supported}, )
            CUDA(.cuda = {activation_forward_cuda<float>}, )
            CUDNN(.cuda_vendor = {.run = activation_forward_cudnn,
                                  .supported = activation_forward_cudnn_supported,
                                  .libraries = kCudnn})},
    .f64 = {.cpu = {activation_forward_cpu<double>},
            CUDA(.cuda = {activation_forward_cuda<double>}, )
            CUDNN(.cuda_vendor = {.run = activation_forward_cudnn,
                                  .supported = activation_forward_cudnn_supported,
                                  .libraries = kCudnn})},
    .bf16 = {.cpu = {activation_forward_cpu<BFloat16>}, CUDA(.cuda = {activation_forward_cuda<BFloat16>})},
    .f16 = {.cpu = {activation_forward_cpu<Half>}, CUDA(.cuda = {activation_forward_cuda<Half>})}};

const OpTable<ActivationBackwardArgs> activation_backward{
    .name = "activation_backward",
    .family = OpFamily::Activation,
    .f32 = {.cpu = {activation_backward_cpu<float>},
            ONEDNN(.cpu_vendor = {activation_backward_onednn,
                                  activation_backward_onednn_supported}, )
            CUDA(.cuda = {activation_backward_cuda<float>}, )
            CUDNN(.cuda_vendor = {.run = activation_backward_cudnn,
                                  .supported = activation_backward_cudnn_supported,
                                  .libraries = kCudnn})},
    .f64 = {.cpu = {activation_backward_cpu<double>},
            CUDA(.cuda = {activation_backward_cuda<double>}, )
            CUDNN(.cuda_vendor = {.run = activation_backward_cudnn,
                                  .supported = activation_backward_cudnn_supported,
                                  .libraries = kCudnn})},
    .bf16 = {.cpu = {activation_backward_cpu<BFloat16>}, CUDA(.cuda = {activation_backward_cuda<BFloat16>})},
    .f16 = {.cpu = {activation_backward_cpu<Half>}, CUDA(.cuda = {activation_backward_cuda<Half>})}};

// ---- conv ---------------------------------------------------------------------------------
const OpTable<Conv2dForwardArgs> conv2d_forward{
    .name = "conv2d",
    .family = OpFamily::Conv,
    .f32 = {.cpu = {conv2d_forward_cpu<float>},
            ONEDNN(.cpu_vendor = {conv2d_forward_onednn, conv2d_forward_onednn_supported}, )
            CUDA(.cuda = {.run = conv2d_forward_cuda<float>,
                          .workspace_bytes = conv2d_forward_cuda_workspace,
                          .variants = kConvCudaVariants,
                          .variant_usable = conv2d_cuda_variant_usable<float, Conv2dForwardArgs>}, )
            CUDNN(.cuda_vendor = {conv2d_forward_cudnn, conv2d_forward_cudnn_supported,
                                  conv2d_forward_cudnn_workspace, kCudnn})},
    .f64 = {.cpu = {conv2d_forward_cpu<double>},
            CUDA(.cuda = {.run = conv2d_forward_cuda<double>,
                          .workspace_bytes = conv2d_forward_cuda_workspace,
                          .variants = kConvCudaVariants,
                          .variant_usable = conv2d_cuda_variant_usable<double, Conv2dForwardArgs>}, )
            CUDNN(.cuda_vendor = {conv2d_forward_cudnn, conv2d_forward_cudnn_supported,
                                  conv2d_forward_cudnn_workspace, kCudnn})},
    .bf16 = {.cpu = {conv2d_forward_cpu<BFloat16>},
            ONEDNN(.cpu_vendor = {.run = conv2d_forward_onednn_16bit<BFloat16>, .supported = conv2d_forward_onednn_16bit_supported, .workspace_bytes = conv2d_forward_onednn_16bit_workspace<BFloat16>}, )
            CUDA(.cuda = {.run = conv2d_forward_cuda<BFloat16>,
                          .workspace_bytes = conv2d_forward_cuda_workspace,
                          .variants = kConvCudaVariants,
                          .variant_usable = conv2d_cuda_variant_usable<BFloat16, Conv2dForwardArgs>}, )
            CUDNN(.cuda_vendor = {conv2d_forward_cudnn, conv2d_forward_cudnn_supported,
                                  conv2d_forward_cudnn_workspace, kCudnn})},
    .f16 = {.cpu = {conv2d_forward_cpu<Half>},
            ONEDNN(.cpu_vendor = {.run = conv2d_forward_onednn_16bit<Half>, .supported = conv2d_forward_onednn_16bit_supported, .workspace_bytes = conv2d_forward_onednn_16bit_workspace<Half>}, )
            CUDA(.cuda = {.run = conv2d_forward_cuda<Half>,
                          .workspace_bytes = conv2d_forward_cuda_workspace,
                          .variants = kConvCudaVariants,
                          .variant_usable = conv2d_cuda_variant_usable<Half, Conv2dForwardArgs>}, )
            CUDNN(.cuda_vendor = {conv2d_forward_cudnn, conv2d_forward_cudnn_supported,
                                  conv2d_forward_cudnn_workspace, kCudnn})},
    .tuning_key = conv2d_tuning_key};

const OpTable<Conv2dBackwardDataArgs> conv2d_backward_data{
    .name = "conv2d_backward_data",
    .family = OpFamily::Conv,
    .f32 = {.cpu = {conv2d_backward_data_cpu<float>},
            ONEDNN(.cpu_vendor = {conv2d_backward_data_onednn,
                                  conv2d_backward_data_onednn_supported}, )
            CUDA(.cuda = {.run = conv2d_backward_data_cuda<float>,
                          .workspace_bytes = conv2d_backward_data_cuda_workspace,
                          .variants = kConvCudaVariants,
                          .variant_usable = conv2d_cuda_variant_usable<float, Conv2dBackwardDataArgs>}, )
            CUDNN(.cuda_vendor = {conv2d_backward_data_cudnn, conv2d_backward_data_cudnn_supported,
                                  conv2d_backward_data_cudnn_workspace, kCudnn})},
    .f64 = {.cpu = {conv2d_backward_data_cpu<double>},
            CUDA(.cuda = {.run = conv2d_backward_data_cuda<double>,
                          .workspace_bytes = conv2d_backward_data_cuda_workspace,
                          .variants = kConvCudaVariants,
                          .variant_usable = conv2d_cuda_variant_usable<double, Conv2dBackwardDataArgs>}, )
            CUDNN(.cuda_vendor = {conv2d_backward_data_cudnn, conv2d_backward_data_cudnn_supported,
                                  conv2d_backward_data_cudnn_workspace, kCudnn})},
    .bf16 = {.cpu = {conv2d_backward_data_cpu<BFloat16>},
            ONEDNN(.cpu_vendor = {.run = conv2d_backward_data_onednn_16bit<BFloat16>, .supported = conv2d_backward_data_onednn_16bit_supported, .workspace_bytes = conv2d_backward_data_onednn_16bit_workspace<BFloat16>}, )
            CUDA(.cuda = {.run = conv2d_backward_data_cuda<BFloat16>,
                          .workspace_bytes = conv2d_backward_data_cuda_workspace,
                          .variants = kConvCudaVariants,
                          .variant_usable = conv2d_cuda_variant_usable<BFloat16, Conv2dBackwardDataArgs>}, )
            CUDNN(.cuda_vendor = {conv2d_backward_data_cudnn, conv2d_backward_data_cudnn_supported,
                                  conv2d_backward_data_cudnn_workspace, kCudnn})},
    .f16 = {.cpu = {conv2d_backward_data_cpu<Half>},
            ONEDNN(.cpu_vendor = {.run = conv2d_backward_data_onednn_16bit<Half>, .supported = conv2d_backward_data_onednn_16bit_supported, .workspace_bytes = conv2d_backward_data_onednn_16bit_workspace<Half>}, )
            CUDA(.cuda = {.run = conv2d_backward_data_cuda<Half>,
                          .workspace_bytes = conv2d_backward_data_cuda_workspace,
                          .variants = kConvCudaVariants,
                          .variant_usable = conv2d_cuda_variant_usable<Half, Conv2dBackwardDataArgs>}, )
            CUDNN(.cuda_vendor = {conv2d_backward_data_cudnn, conv2d_backward_data_cudnn_supported,
                                  conv2d_backward_data_cudnn_workspace, kCudnn})},
    .tuning_key = conv2d_tuning_key};

const OpTable<Conv2dBackwardWeightArgs> conv2d_backward_weight{
    .name = "conv2d_backward_weight",
    .family = OpFamily::Conv,
    .f32 = {.cpu = {conv2d_backward_weight_cpu<float>},
            ONEDNN(.cpu_vendor = {conv2d_backward_weight_onednn,
                                  conv2d_backward_weight_onednn_supported}, )
            CUDA(.cuda = {.run = conv2d_backward_weight_cuda<float>,
                          .workspace_bytes = conv2d_backward_weight_cuda_workspace,
                          .variants = kConvCudaVariants,
                          .variant_usable = conv2d_cuda_variant_usable<float, Conv2dBackwardWeightArgs>}, )
            CUDNN(.cuda_vendor = {conv2d_backward_weight_cudnn,
                                  conv2d_backward_weight_cudnn_supported,
                                  conv2d_backward_weight_cudnn_workspace, kCudnn})},
    .f64 = {.cpu = {conv2d_backward_weight_cpu<double>},
            CUDA(.cuda = {.run = conv2d_backward_weight_cuda<double>,
                          .workspace_bytes = conv2d_backward_weight_cuda_workspace,
                          .variants = kConvCudaVariants,
                          .variant_usable = conv2d_cuda_variant_usable<double, Conv2dBackwardWeightArgs>}, )
            CUDNN(.cuda_vendor = {conv2d_backward_weight_cudnn,
                                  conv2d_backward_weight_cudnn_supported,
                                  conv2d_backward_weight_cudnn_workspace, kCudnn})},
    .bf16 = {.cpu = {conv2d_backward_weight_cpu<BFloat16>},
            ONEDNN(.cpu_vendor = {.run = conv2d_backward_weight_onednn_16bit<BFloat16>, .supported = conv2d_backward_weight_onednn_16bit_supported, .workspace_bytes = conv2d_backward_weight_onednn_16bit_workspace<BFloat16>}, )
            CUDA(.cuda = {.run = conv2d_backward_weight_cuda<BFloat16>,
                          .workspace_bytes = conv2d_backward_weight_cuda_workspace,
                          .variants = kConvCudaVariants,
                          .variant_usable = conv2d_cuda_variant_usable<BFloat16, Conv2dBackwardWeightArgs>}, )
            CUDNN(.cuda_vendor = {conv2d_backward_weight_cudnn,
                                  conv2d_backward_weight_cudnn_supported,
                                  conv2d_backward_weight_cudnn_workspace, kCudnn})},
    .f16 = {.cpu = {conv2d_backward_weight_cpu<Half>},
            ONEDNN(.cpu_vendor = {.run = conv2d_backward_weight_onednn_16bit<Half>, .supported = conv2d_backward_weight_onednn_16bit_supported, .workspace_bytes = conv2d_backward_weight_onednn_16bit_workspace<Half>}, )
            CUDA(.cuda = {.run = conv2d_backward_weight_cuda<Half>,
                          .workspace_bytes = conv2d_backward_weight_cuda_workspace,
                          .variants = kConvCudaVariants,
                          .variant_usable = conv2d_cuda_variant_usable<Half, Conv2dBackwardWeightArgs>}, )
            CUDNN(.cuda_vendor = {conv2d_backward_weight_cudnn,
                                  conv2d_backward_weight_cudnn_supported,
                                  conv2d_backward_weight_cudnn_workspace, kCudnn})},
    .tuning_key = conv2d_tuning_key};

const OpTable<Conv2dBackwardBiasArgs> conv2d_backward_bias{
    .name = "conv2d_backward_bias",
    .family = OpFamily::Conv,
    .f32 = {.cpu = {conv2d_backward_bias_cpu<float>},
            CUDA(.cuda = {conv2d_backward_bias_cuda<float>})},
    .f64 = {.cpu = {conv2d_backward_bias_cpu<double>},
            CUDA(.cuda = {conv2d_backward_bias_cuda<double>})},
    .bf16 = {.cpu = {conv2d_backward_bias_cpu<BFloat16>},
            CUDA(.cuda = {conv2d_backward_bias_cuda<BFloat16>})},
    .f16 = {.cpu = {conv2d_backward_bias_cpu<Half>},
            CUDA(.cuda = {conv2d_backward_bias_cuda<Half>})}};

// ---- pool ---------------------------------------------------------------------------------
const OpTable<MaxPool2dArgs> max_pool2d_forward{
    .name = "max_pool2d",
    .family = OpFamily::Pool,
    .f32 = {.cpu = {max_pool2d_forward_cpu<float>},
            ONEDNN(.cpu_vendor = {.run = max_pool2d_forward_onednn,
                                  .supported = max_pool2d_forward_onednn_supported,
                                  .reserve_bytes = max_pool2d_forward_onednn_reserve}, )
            CUDA(.cuda = {max_pool2d_forward_cuda<float>}, )
            CUDNN(.cuda_vendor = {.run = max_pool2d_forward_cudnn,
                                  .supported = max_pool2d_forward_cudnn_supported,
                                  .libraries = kCudnn})},
    .f64 = {.cpu = {max_pool2d_forward_cpu<double>},
            CUDA(.cuda = {max_pool2d_forward_cuda<double>}, )
            CUDNN(.cuda_vendor = {.run = max_pool2d_forward_cudnn,
                                  .supported = max_pool2d_forward_cudnn_supported,
                                  .libraries = kCudnn})},
    .bf16 = {.cpu = {max_pool2d_forward_cpu<BFloat16>},
             ONEDNN(.cpu_vendor = {.run = max_pool2d_forward_onednn,
                                   .supported = max_pool2d_forward_onednn_supported,
                                   .reserve_bytes = max_pool2d_forward_onednn_reserve}, )
             CUDA(.cuda = {max_pool2d_forward_cuda<BFloat16>})},
    .f16 = {.cpu = {max_pool2d_forward_cpu<Half>}, CUDA(.cuda = {max_pool2d_forward_cuda<Half>})}};

const OpTable<MaxPool2dBackwardArgs> max_pool2d_backward{
    .name = "max_pool2d_backward",
    .family = OpFamily::Pool,
    .f32 = {.cpu = {max_pool2d_backward_cpu<float>, max_pool2d_backward_has_indices},
            ONEDNN(.cpu_vendor = {max_pool2d_backward_onednn,
                                  max_pool2d_backward_onednn_supported}, )
            CUDA(.cuda = {max_pool2d_backward_cuda<float>, max_pool2d_backward_has_indices}, )
            CUDNN(.cuda_vendor = {.run = max_pool2d_backward_cudnn,
                                  .supported = max_pool2d_backward_cudnn_supported,
                                  .libraries = kCudnn})},
    .f64 = {.cpu = {max_pool2d_backward_cpu<double>, max_pool2d_backward_has_indices},
            CUDA(.cuda = {max_pool2d_backward_cuda<double>, max_pool2d_backward_has_indices}, )
            CUDNN(.cuda_vendor = {.run = max_pool2d_backward_cudnn,
                                  .supported = max_pool2d_backward_cudnn_supported,
                                  .libraries = kCudnn})},
    .bf16 = {.cpu = {max_pool2d_backward_cpu<BFloat16>, max_pool2d_backward_has_indices},
             ONEDNN(.cpu_vendor = {max_pool2d_backward_onednn,
                                   max_pool2d_backward_onednn_supported}, )
             CUDA(.cuda = {max_pool2d_backward_cuda<BFloat16>, max_pool2d_backward_has_indices})},
    .f16 = {.cpu = {max_pool2d_backward_cpu<Half>, max_pool2d_backward_has_indices}, CUDA(.cuda = {max_pool2d_backward_cuda<Half>, max_pool2d_backward_has_indices})}};

const OpTable<AvgPool2dArgs> avg_pool2d_forward{
    .name = "avg_pool2d",
    .family = OpFamily::Pool,
    .f32 = {.cpu = {avg_pool2d_forward_cpu<float>},
            ONEDNN(.cpu_vendor = {avg_pool2d_forward_onednn, avg_pool2d_forward_onednn_supported}, )
            CUDA(.cuda = {avg_pool2d_forward_cuda<float>}, )
            CUDNN(.cuda_vendor = {.run = avg_pool2d_forward_cudnn,
                                  .supported = avg_pool2d_forward_cudnn_supported,
                                  .libraries = kCudnn})},
    .f64 = {.cpu = {avg_pool2d_forward_cpu<double>},
            CUDA(.cuda = {avg_pool2d_forward_cuda<double>}, )
            CUDNN(.cuda_vendor = {.run = avg_pool2d_forward_cudnn,
                                  .supported = avg_pool2d_forward_cudnn_supported,
                                  .libraries = kCudnn})},
    .bf16 = {.cpu = {avg_pool2d_forward_cpu<BFloat16>},
             ONEDNN(.cpu_vendor = {avg_pool2d_forward_onednn,
                                   avg_pool2d_forward_onednn_supported}, )
             CUDA(.cuda = {avg_pool2d_forward_cuda<BFloat16>})},
    .f16 = {.cpu = {avg_pool2d_forward_cpu<Half>}, CUDA(.cuda = {avg_pool2d_forward_cuda<Half>})}};

const OpTable<AvgPool2dBackwardArgs> avg_pool2d_backward{
    .name = "avg_pool2d_backward",
    .family = OpFamily::Pool,
    .f32 = {.cpu = {avg_pool2d_backward_cpu<float>},
            ONEDNN(.cpu_vendor = {avg_pool2d_backward_onednn,
                                  avg_pool2d_backward_onednn_supported}, )
            CUDA(.cuda = {avg_pool2d_backward_cuda<float>}, )
            CUDNN(.cuda_vendor = {.run = avg_pool2d_backward_cudnn,
                                  .supported = avg_pool2d_backward_cudnn_supported,
                                  .libraries = kCudnn})},
    .f64 = {.cpu = {avg_pool2d_backward_cpu<double>},
            CUDA(.cuda = {avg_pool2d_backward_cuda<double>}, )
            CUDNN(.cuda_vendor = {.run = avg_pool2d_backward_cudnn,
                                  .supported = avg_pool2d_backward_cudnn_supported,
                                  .libraries = kCudnn})},
    .bf16 = {.cpu = {avg_pool2d_backward_cpu<BFloat16>},
             ONEDNN(.cpu_vendor = {avg_pool2d_backward_onednn,
                                   avg_pool2d_backward_onednn_supported}, )
             CUDA(.cuda = {avg_pool2d_backward_cuda<BFloat16>})},
    .f16 = {.cpu = {avg_pool2d_backward_cpu<Half>}, CUDA(.cuda = {avg_pool2d_backward_cuda<Half>})}};

// ---- index --------------------------------------------------------------------------------
const OpTable<GatherArgs> gather{
    .name = "gather",
    .family = OpFamily::Index,
    .f32 = {.cpu = {gather_cpu<float>}, CUDA(.cuda = {gather_cuda<float>})},
    .f64 = {.cpu = {gather_cpu<double>}, CUDA(.cuda = {gather_cuda<double>})},
    .bf16 = {.cpu = {gather_cpu<BFloat16>}, CUDA(.cuda = {gather_cuda<BFloat16>})},
    .f16 = {.cpu = {gather_cpu<Half>}, CUDA(.cuda = {gather_cuda<Half>})}};

const OpTable<IndexSelectArgs> index_select{
    .name = "index_select",
    .family = OpFamily::Index,
    .f32 = {.cpu = {index_select_cpu<float>}, CUDA(.cuda = {index_select_cuda<float>})},
    .f64 = {.cpu = {index_select_cpu<double>}, CUDA(.cuda = {index_select_cuda<double>})},
    .i64 = {.cpu = {index_select_cpu<int64_t>}, CUDA(.cuda = {index_select_cuda<int64_t>})},
    .bf16 = {.cpu = {index_select_cpu<BFloat16>}, CUDA(.cuda = {index_select_cuda<BFloat16>})},
    .f16 = {.cpu = {index_select_cpu<Half>}, CUDA(.cuda = {index_select_cuda<Half>})}};

const OpTable<IndexAddArgs> index_add{
    .name = "index_select_backward",
    .family = OpFamily::Index,
    .f32 = {.cpu = {index_add_cpu<float>},
            CUDA(.cuda = {.run = index_add_cuda<float>, .workspace_bytes = index_add_cuda_workspace<float>})},
    .f64 = {.cpu = {index_add_cpu<double>},
            CUDA(.cuda = {.run = index_add_cuda<double>, .workspace_bytes = index_add_cuda_workspace<double>})},
    .bf16 = {.cpu = {index_add_cpu<BFloat16>}, CUDA(.cuda = {.run = index_add_cuda<BFloat16>, .workspace_bytes = index_add_cuda_workspace<BFloat16>})},
    .f16 = {.cpu = {index_add_cpu<Half>}, CUDA(.cuda = {.run = index_add_cuda<Half>, .workspace_bytes = index_add_cuda_workspace<Half>})}};

const OpTable<ScatterAddArgs> scatter_add{
    .name = "scatter_add",
    .family = OpFamily::Index,
    .f32 = {.cpu = {scatter_add_cpu<float>}, CUDA(.cuda = {scatter_add_cuda<float>})},
    .f64 = {.cpu = {scatter_add_cpu<double>}, CUDA(.cuda = {scatter_add_cuda<double>})},
    .bf16 = {.cpu = {scatter_add_cpu<BFloat16>}, CUDA(.cuda = {scatter_add_cuda<BFloat16>})},
    .f16 = {.cpu = {scatter_add_cpu<Half>}, CUDA(.cuda = {scatter_add_cuda<Half>})}};

const OpTable<EmbeddingArgs> embedding_forward{
    .name = "embedding",
    .family = OpFamily::Index,
    .f32 = {.cpu = {embedding_forward_cpu<float>}, CUDA(.cuda = {embedding_forward_cuda<float>})},
    .f64 = {.cpu = {embedding_forward_cpu<double>},
            CUDA(.cuda = {embedding_forward_cuda<double>})},
    .bf16 = {.cpu = {embedding_forward_cpu<BFloat16>}, CUDA(.cuda = {embedding_forward_cuda<BFloat16>})},
    .f16 = {.cpu = {embedding_forward_cpu<Half>}, CUDA(.cuda = {embedding_forward_cuda<Half>})}};

const OpTable<EmbeddingBackwardArgs> embedding_backward{
    .name = "embedding_backward",
    .family = OpFamily::Index,
    .f32 = {.cpu = {embedding_backward_cpu<float>},
            CUDA(.cuda = {.run = embedding_backward_cuda<float>,
                          .workspace_bytes = embedding_backward_cuda_workspace<float>})},
    .f64 = {.cpu = {embedding_backward_cpu<double>},
            CUDA(.cuda = {.run = embedding_backward_cuda<double>,
                          .workspace_bytes = embedding_backward_cuda_workspace<double>})},
    .bf16 = {.cpu = {embedding_backward_cpu<BFloat16>}, CUDA(.cuda = {.run = embedding_backward_cuda<BFloat16>, .workspace_bytes = embedding_backward_cuda_workspace<BFloat16>})},
    .f16 = {.cpu = {embedding_backward_cpu<Half>}, CUDA(.cuda = {.run = embedding_backward_cuda<Half>, .workspace_bytes = embedding_backward_cuda_workspace<Half>})}};

// ---- reduce -------------------------------------------------------------------------------
const OpTable<SumArgs> sum_rows{
    .name = "sum",
    .family = OpFamily::Reduce,
    .f32 = {.cpu = {sum_rows_cpu<float>}, CUDA(.cuda = {sum_rows_cuda<float>})},
    .f64 = {.cpu = {sum_rows_cpu<double>}, CUDA(.cuda = {sum_rows_cuda<double>})},
    .bf16 = {.cpu = {sum_rows_cpu<BFloat16>}, CUDA(.cuda = {sum_rows_cuda<BFloat16>})},
    .f16 = {.cpu = {sum_rows_cpu<Half>}, CUDA(.cuda = {sum_rows_cuda<Half>})}};

const OpTable<SumArgs> sum_leading{.name = "sum",
                                   .family = OpFamily::Reduce,
                                   .f32 = {.cpu = {sum_leading_cpu<float>}},
                                   .f64 = {.cpu = {sum_leading_cpu<double>}},
    .bf16 = {.cpu = {sum_leading_cpu<BFloat16>}},
    .f16 = {.cpu = {sum_leading_cpu<Half>}}};

const OpTable<MaxDimArgs> max_dim{
    .name = "max",
    .family = OpFamily::Reduce,
    .f32 = {.cpu = {max_dim_cpu<float>}, CUDA(.cuda = {max_dim_cuda<float>})},
    .f64 = {.cpu = {max_dim_cpu<double>}, CUDA(.cuda = {max_dim_cuda<double>})},
    .bf16 = {.cpu = {max_dim_cpu<BFloat16>}, CUDA(.cuda = {max_dim_cuda<BFloat16>})},
    .f16 = {.cpu = {max_dim_cpu<Half>}, CUDA(.cuda = {max_dim_cuda<Half>})}};

const OpTable<NonfiniteArgs> nonfinite{
    .name = "anomaly check",
    .family = OpFamily::Reduce,
    .f32 = {.cpu = {nonfinite_cpu<float>},
            CUDA(.cuda = {.run = nonfinite_cuda<float>, .workspace_bytes = nonfinite_cuda_workspace<float>})},
    .f64 = {.cpu = {nonfinite_cpu<double>},
            CUDA(.cuda = {.run = nonfinite_cuda<double>, .workspace_bytes = nonfinite_cuda_workspace<double>})},
    .bf16 = {.cpu = {nonfinite_cpu<BFloat16>}, CUDA(.cuda = {.run = nonfinite_cuda<BFloat16>, .workspace_bytes = nonfinite_cuda_workspace<BFloat16>})},
    .f16 = {.cpu = {nonfinite_cpu<Half>}, CUDA(.cuda = {.run = nonfinite_cuda<Half>, .workspace_bytes = nonfinite_cuda_workspace<Half>})}};

const OpTable<AbsPowSumArgs> abs_pow_sum{
    .name = "total_norm",
    .family = OpFamily::Reduce,
    .f32 = {.cpu = {abs_pow_sum_cpu<float>},
            CUDA(.cuda = {.run = abs_pow_sum_cuda<float>, .workspace_bytes = abs_pow_sum_cuda_workspace<float>})},
    .f64 = {.cpu = {abs_pow_sum_cpu<double>},
            CUDA(.cuda = {.run = abs_pow_sum_cuda<double>, .workspace_bytes = abs_pow_sum_cuda_workspace<double>})},
    .bf16 = {.cpu = {abs_pow_sum_cpu<BFloat16>}, CUDA(.cuda = {.run = abs_pow_sum_cuda<BFloat16>, .workspace_bytes = abs_pow_sum_cuda_workspace<BFloat16>})},
    .f16 = {.cpu = {abs_pow_sum_cpu<Half>}, CUDA(.cuda = {.run = abs_pow_sum_cuda<Half>, .workspace_bytes = abs_pow_sum_cuda_workspace<Half>})}};

// ---- elementwise --------------------------------------------------------------------------
const OpTable<UnaryArgs> unary_forward{
    .name = "unary",
    .family = OpFamily::Elementwise,
    .f32 = {.cpu = {unary_forward_cpu<float>}, CUDA(.cuda = {unary_forward_cuda<float>})},
    .f64 = {.cpu = {unary_forward_cpu<double>}, CUDA(.cuda = {unary_forward_cuda<double>})},
    .bf16 = {.cpu = {unary_forward_cpu<BFloat16>}, CUDA(.cuda = {unary_forward_cuda<BFloat16>})},
    .f16 = {.cpu = {unary_forward_cpu<Half>}, CUDA(.cuda = {unary_forward_cuda<Half>})}};

const OpTable<UnaryBackwardArgs> unary_backward{
    .name = "unary_backward",
    .family = OpFamily::Elementwise,
    .f32 = {.cpu = {unary_backward_cpu<float>}, CUDA(.cuda = {unary_backward_cuda<float>})},
    .f64 = {.cpu = {unary_backward_cpu<double>}, CUDA(.cuda = {unary_backward_cuda<double>})},
    .bf16 = {.cpu = {unary_backward_cpu<BFloat16>}, CUDA(.cuda = {unary_backward_cuda<BFloat16>})},
    .f16 = {.cpu = {unary_backward_cpu<Half>}, CUDA(.cuda = {unary_backward_cuda<Half>})}};

const OpTable<BinaryArgs> binary_forward{
    .name = "binary",
    .family = OpFamily::Elementwise,
    .f32 = {.cpu = {binary_forward_cpu<float>}, CUDA(.cuda = {binary_forward_cuda<float>})},
    .f64 = {.cpu = {binary_forward_cpu<double>}, CUDA(.cuda = {binary_forward_cuda<double>})},
    .bf16 = {.cpu = {binary_forward_cpu<BFloat16>}, CUDA(.cuda = {binary_forward_cuda<BFloat16>})},
    .f16 = {.cpu = {binary_forward_cpu<Half>}, CUDA(.cuda = {binary_forward_cuda<Half>})}};

const OpTable<BinaryBackwardArgs> binary_backward{
    .name = "binary_backward",
    .family = OpFamily::Elementwise,
    .f32 = {.cpu = {binary_backward_cpu<float>}, CUDA(.cuda = {binary_backward_cuda<float>})},
    .f64 = {.cpu = {binary_backward_cpu<double>}, CUDA(.cuda = {binary_backward_cuda<double>})},
    .bf16 = {.cpu = {binary_backward_cpu<BFloat16>}, CUDA(.cuda = {binary_backward_cuda<BFloat16>})},
    .f16 = {.cpu = {binary_backward_cpu<Half>}, CUDA(.cuda = {binary_backward_cuda<Half>})}};

// ---- copy ---------------------------------------------------------------------------------
const OpTable<CopyArgs> copy{
    .name = "copy_",
    .family = OpFamily::Copy,
    .f32 = {.cpu = {copy_cpu<float>}, CUDA(.cuda = {copy_cuda<float>})},
    .f64 = {.cpu = {copy_cpu<double>}, CUDA(.cuda = {copy_cuda<double>})},
    .i64 = {.cpu = {copy_cpu<int64_t>}, CUDA(.cuda = {copy_cuda<int64_t>})},
    .bf16 = {.cpu = {copy_cpu<BFloat16>}, CUDA(.cuda = {copy_cuda<BFloat16>})},
    .f16 = {.cpu = {copy_cpu<Half>}, CUDA(.cuda = {copy_cuda<Half>})}};

const OpTable<FillArgs> fill{
    .name = "fill_",
    .family = OpFamily::Copy,
    .f32 = {.cpu = {fill_cpu<float>}, CUDA(.cuda = {fill_cuda<float>})},
    .f64 = {.cpu = {fill_cpu<double>}, CUDA(.cuda = {fill_cuda<double>})},
    .i64 = {.cpu = {fill_cpu<int64_t>}, CUDA(.cuda = {fill_cuda<int64_t>})},
    .bf16 = {.cpu = {fill_cpu<BFloat16>}, CUDA(.cuda = {fill_cuda<BFloat16>})},
    .f16 = {.cpu = {fill_cpu<Half>}, CUDA(.cuda = {fill_cuda<Half>})}};

// ---- gemm ---------------------------------------------------------------------------------
const OpTable<GemmArgs> gemm{
    .name = "gemm",
    .family = OpFamily::Gemm,
    .f32 = {.cpu = {gemm_cpu<float>},
            ONEDNN(.cpu_vendor = {.run = gemm_cpu_emulated<gemm_onednn>, .supported = gemm_emulated_supported<>}, )
            CUDA(.cuda = {.run = gemm_cuda<float>,
                          .variants = kGemmCudaF32Variants,
                          .variant_usable = gemm_cuda_f32_variant_usable},
                 .cuda_vendor = {.run = gemm_cuda_emulated<gemm_cublas>, .supported = gemm_emulated_supported<gemm_cublas_supported>, .libraries = kCublas})},
    .f64 = {.cpu = {gemm_cpu<double>},
            CUDA(.cuda = {.run = gemm_cuda<double>, .variants = 1, .variant_usable = gemm_cuda_f64_variant_usable},
                 .cuda_vendor = {.run = gemm_cuda_emulated<gemm_cublas>, .supported = gemm_emulated_supported<gemm_cublas_supported>, .libraries = kCublas})},
    .bf16 = {.cpu = {gemm_cpu<BFloat16>},
            ONEDNN(.cpu_vendor = {.run = gemm_cpu_emulated<gemm_onednn_16bit<BFloat16>>, .supported = gemm_emulated_supported<>, .workspace_bytes = gemm_emulated_workspace<gemm_onednn_16bit_workspace<BFloat16>>}, )
             CUDA(.cuda = {.run = gemm_cuda<BFloat16>, .variants = 1, .variant_usable = gemm_cuda_16bit_variant_usable},
                  .cuda_vendor = {.run = gemm_cuda_emulated<gemm_cublas>, .supported = gemm_emulated_supported<gemm_cublas_supported>, .libraries = kCublas})},
    .f16 = {.cpu = {gemm_cpu<Half>},
            ONEDNN(.cpu_vendor = {.run = gemm_cpu_emulated<gemm_onednn_16bit<Half>>, .supported = gemm_emulated_supported<>, .workspace_bytes = gemm_emulated_workspace<gemm_onednn_16bit_workspace<Half>>}, )
            CUDA(.cuda = {.run = gemm_cuda<Half>, .variants = 1, .variant_usable = gemm_cuda_16bit_variant_usable},
                 .cuda_vendor = {.run = gemm_cuda_emulated<gemm_cublas>, .supported = gemm_emulated_supported<gemm_cublas_supported>, .libraries = kCublas})},
    .tuning_key = gemm_tuning_key};

// ---- loss ---------------------------------------------------------------------------------
const OpTable<NllArgs> nll_forward{
    .name = "nll_loss",
    .family = OpFamily::Loss,
    .f32 = {.cpu = {nll_forward_cpu<float>}, CUDA(.cuda = {nll_forward_cuda<float>})},
    .f64 = {.cpu = {nll_forward_cpu<double>}, CUDA(.cuda = {nll_forward_cuda<double>})},
    .bf16 = {.cpu = {nll_forward_cpu<BFloat16>}, CUDA(.cuda = {nll_forward_cuda<BFloat16>})},
    .f16 = {.cpu = {nll_forward_cpu<Half>}, CUDA(.cuda = {nll_forward_cuda<Half>})}};

const OpTable<NllBackwardArgs> nll_backward{
    .name = "nll_loss_backward",
    .family = OpFamily::Loss,
    .f32 = {.cpu = {nll_backward_cpu<float>}, CUDA(.cuda = {nll_backward_cuda<float>})},
    .f64 = {.cpu = {nll_backward_cpu<double>}, CUDA(.cuda = {nll_backward_cuda<double>})},
    .bf16 = {.cpu = {nll_backward_cpu<BFloat16>}, CUDA(.cuda = {nll_backward_cuda<BFloat16>})},
    .f16 = {.cpu = {nll_backward_cpu<Half>}, CUDA(.cuda = {nll_backward_cuda<Half>})}};

const OpTable<MultiMarginArgs> multi_margin_forward{
    .name = "multi_margin_loss",
    .family = OpFamily::Loss,
    .f32 = {.cpu = {multi_margin_forward_cpu<float>}, CUDA(.cuda = {multi_margin_forward_cuda<float>})},
    .f64 = {.cpu = {multi_margin_forward_cpu<double>}, CUDA(.cuda = {multi_margin_forward_cuda<double>})},
    .bf16 = {.cpu = {multi_margin_forward_cpu<BFloat16>}, CUDA(.cuda = {multi_margin_forward_cuda<BFloat16>})},
    .f16 = {.cpu = {multi_margin_forward_cpu<Half>}, CUDA(.cuda = {multi_margin_forward_cuda<Half>})}};

const OpTable<MultiMarginBackwardArgs> multi_margin_backward{
    .name = "multi_margin_loss_backward",
    .family = OpFamily::Loss,
    .f32 = {.cpu = {multi_margin_backward_cpu<float>}, CUDA(.cuda = {multi_margin_backward_cuda<float>})},
    .f64 = {.cpu = {multi_margin_backward_cpu<double>}, CUDA(.cuda = {multi_margin_backward_cuda<double>})},
    .bf16 = {.cpu = {multi_margin_backward_cpu<BFloat16>}, CUDA(.cuda = {multi_margin_backward_cuda<BFloat16>})},
    .f16 = {.cpu = {multi_margin_backward_cpu<Half>}, CUDA(.cuda = {multi_margin_backward_cuda<Half>})}};

const OpTable<BceLogitsArgs> bce_logits_forward{
    .name = "binary_cross_entropy_with_logits",
    .family = OpFamily::Loss,
    .f32 = {.cpu = {bce_logits_forward_cpu<float>}, CUDA(.cuda = {bce_logits_forward_cuda<float>})},
    .f64 = {.cpu = {bce_logits_forward_cpu<double>}, CUDA(.cuda = {bce_logits_forward_cuda<double>})},
    .bf16 = {.cpu = {bce_logits_forward_cpu<BFloat16>}, CUDA(.cuda = {bce_logits_forward_cuda<BFloat16>})},
    .f16 = {.cpu = {bce_logits_forward_cpu<Half>}, CUDA(.cuda = {bce_logits_forward_cuda<Half>})}};

const OpTable<BceLogitsBackwardArgs> bce_logits_backward{
    .name = "binary_cross_entropy_with_logits_backward",
    .family = OpFamily::Loss,
    .f32 = {.cpu = {bce_logits_backward_cpu<float>}, CUDA(.cuda = {bce_logits_backward_cuda<float>})},
    .f64 = {.cpu = {bce_logits_backward_cpu<double>}, CUDA(.cuda = {bce_logits_backward_cuda<double>})},
    .bf16 = {.cpu = {bce_logits_backward_cpu<BFloat16>}, CUDA(.cuda = {bce_logits_backward_cuda<BFloat16>})},
    .f16 = {.cpu = {bce_logits_backward_cpu<Half>}, CUDA(.cuda = {bce_logits_backward_cuda<Half>})}};

// ---- norm ---------------------------------------------------------------------------------
const OpTable<BatchNormTrainingArgs> batch_norm_training{
    .name = "batch_norm",
    .family = OpFamily::Norm,
    .f32 = {.cpu = {batch_norm_training_cpu<float>},
            ONEDNN(.cpu_vendor = {batch_norm_training_onednn,
                                  batch_norm_training_onednn_supported}, )
            CUDA(.cuda = {batch_norm_training_cuda<float>})},
    .f64 = {.cpu = {batch_norm_training_cpu<double>},
            CUDA(.cuda = {batch_norm_training_cuda<double>})},
    .bf16 = {.cpu = {batch_norm_training_cpu<BFloat16>}, CUDA(.cuda = {batch_norm_training_cuda<BFloat16>})},
    .f16 = {.cpu = {batch_norm_training_cpu<Half>}, CUDA(.cuda = {batch_norm_training_cuda<Half>})}};

const OpTable<BatchNormInferenceArgs> batch_norm_inference{
    .name = "batch_norm",
    .family = OpFamily::Norm,
    .f32 = {.cpu = {batch_norm_inference_cpu<float>},
            ONEDNN(.cpu_vendor = {batch_norm_inference_onednn,
                                  batch_norm_inference_onednn_supported}, )
            CUDA(.cuda = {batch_norm_inference_cuda<float>})},
    .f64 = {.cpu = {batch_norm_inference_cpu<double>},
            CUDA(.cuda = {batch_norm_inference_cuda<double>})},
    .bf16 = {.cpu = {batch_norm_inference_cpu<BFloat16>}, CUDA(.cuda = {batch_norm_inference_cuda<BFloat16>})},
    .f16 = {.cpu = {batch_norm_inference_cpu<Half>}, CUDA(.cuda = {batch_norm_inference_cuda<Half>})}};

const OpTable<BatchNormBackwardArgs> batch_norm_backward{
    .name = "batch_norm_backward",
    .family = OpFamily::Norm,
    .f32 = {.cpu = {batch_norm_backward_cpu<float>},
            ONEDNN(.cpu_vendor = {batch_norm_backward_onednn,
                                  batch_norm_backward_onednn_supported}, )
            CUDA(.cuda = {.run = batch_norm_backward_cuda<float>,
                          .workspace_bytes = batch_norm_backward_cuda_workspace})},
    .f64 = {.cpu = {batch_norm_backward_cpu<double>},
            CUDA(.cuda = {.run = batch_norm_backward_cuda<double>,
                          .workspace_bytes = batch_norm_backward_cuda_workspace})},
    .bf16 = {.cpu = {batch_norm_backward_cpu<BFloat16>}, CUDA(.cuda = {.run = batch_norm_backward_cuda<BFloat16>, .workspace_bytes = batch_norm_backward_cuda_workspace})},
    .f16 = {.cpu = {batch_norm_backward_cpu<Half>}, CUDA(.cuda = {.run = batch_norm_backward_cuda<Half>, .workspace_bytes = batch_norm_backward_cuda_workspace})}};

const OpTable<BatchNormJvpArgs> batch_norm_jvp{
    .name = "batch_norm_jvp",
    .family = OpFamily::Norm,
    .f32 = {.cpu = {batch_norm_jvp_cpu<float>},
            CUDA(.cuda = {.run = batch_norm_jvp_cuda<float>,
                          .workspace_bytes = batch_norm_jvp_cuda_workspace})},
    .f64 = {.cpu = {batch_norm_jvp_cpu<double>},
            CUDA(.cuda = {.run = batch_norm_jvp_cuda<double>,
                          .workspace_bytes = batch_norm_jvp_cuda_workspace})},
    .bf16 = {.cpu = {batch_norm_jvp_cpu<BFloat16>}, CUDA(.cuda = {.run = batch_norm_jvp_cuda<BFloat16>, .workspace_bytes = batch_norm_jvp_cuda_workspace})},
    .f16 = {.cpu = {batch_norm_jvp_cpu<Half>}, CUDA(.cuda = {.run = batch_norm_jvp_cuda<Half>, .workspace_bytes = batch_norm_jvp_cuda_workspace})}};

const OpTable<LrnArgs> lrn_forward{
    .name = "local_response_norm",
    .family = OpFamily::Norm,
    .f32 = {.cpu = {lrn_forward_cpu<float>},
            ONEDNN(.cpu_vendor = {lrn_forward_onednn, lrn_forward_onednn_supported}, )
            CUDA(.cuda = {lrn_forward_cuda<float>})},
    .f64 = {.cpu = {lrn_forward_cpu<double>}, CUDA(.cuda = {lrn_forward_cuda<double>})},
    .bf16 = {.cpu = {lrn_forward_cpu<BFloat16>}, CUDA(.cuda = {lrn_forward_cuda<BFloat16>})},
    .f16 = {.cpu = {lrn_forward_cpu<Half>}, CUDA(.cuda = {lrn_forward_cuda<Half>})}};

const OpTable<LrnBackwardArgs> lrn_backward{
    .name = "local_response_norm_backward",
    .family = OpFamily::Norm,
    .f32 = {.cpu = {.run = lrn_backward_cpu<float>,
                    .workspace_bytes = lrn_backward_cpu_workspace},
            ONEDNN(.cpu_vendor = {lrn_backward_onednn, lrn_backward_onednn_supported}, )
            CUDA(.cuda = {lrn_backward_cuda<float>, lrn_backward_has_scale})},
    .f64 = {.cpu = {.run = lrn_backward_cpu<double>,
                    .workspace_bytes = lrn_backward_cpu_workspace},
            CUDA(.cuda = {lrn_backward_cuda<double>, lrn_backward_has_scale})},
    .bf16 = {.cpu = {.run = lrn_backward_cpu<BFloat16>, .workspace_bytes = lrn_backward_cpu_workspace}, CUDA(.cuda = {lrn_backward_cuda<BFloat16>, lrn_backward_has_scale})},
    .f16 = {.cpu = {.run = lrn_backward_cpu<Half>, .workspace_bytes = lrn_backward_cpu_workspace}, CUDA(.cuda = {lrn_backward_cuda<Half>, lrn_backward_has_scale})}};

const OpTable<LrnJvpArgs> lrn_jvp{
    .name = "local_response_norm_jvp",
    .family = OpFamily::Norm,
    .f32 = {.cpu = {lrn_jvp_cpu<float>}, CUDA(.cuda = {lrn_jvp_cuda<float>})},
    .f64 = {.cpu = {lrn_jvp_cpu<double>}, CUDA(.cuda = {lrn_jvp_cuda<double>})},
    .bf16 = {.cpu = {lrn_jvp_cpu<BFloat16>}, CUDA(.cuda = {lrn_jvp_cuda<BFloat16>})},
    .f16 = {.cpu = {lrn_jvp_cpu<Half>}, CUDA(.cuda = {lrn_jvp_cuda<Half>})}};

// ---- rnn ----------------------------------------------------------------------------------
const OpTable<LstmCellArgs> lstm_cell_forward{
    .name = "lstm_cell",
    .family = OpFamily::Rnn,
    .f32 = {.cpu = {lstm_cell_forward_cpu<float>}, CUDA(.cuda = {lstm_cell_forward_cuda<float>})},
    .f64 = {.cpu = {lstm_cell_forward_cpu<double>},
            CUDA(.cuda = {lstm_cell_forward_cuda<double>})},
    .bf16 = {.cpu = {lstm_cell_forward_cpu<BFloat16>}, CUDA(.cuda = {lstm_cell_forward_cuda<BFloat16>})},
    .f16 = {.cpu = {lstm_cell_forward_cpu<Half>}, CUDA(.cuda = {lstm_cell_forward_cuda<Half>})}};

const OpTable<LstmCellBackwardArgs> lstm_cell_backward{
    .name = "lstm_cell_backward",
    .family = OpFamily::Rnn,
    .f32 = {.cpu = {lstm_cell_backward_cpu<float>},
            CUDA(.cuda = {lstm_cell_backward_cuda<float>})},
    .f64 = {.cpu = {lstm_cell_backward_cpu<double>},
            CUDA(.cuda = {lstm_cell_backward_cuda<double>})},
    .bf16 = {.cpu = {lstm_cell_backward_cpu<BFloat16>}, CUDA(.cuda = {lstm_cell_backward_cuda<BFloat16>})},
    .f16 = {.cpu = {lstm_cell_backward_cpu<Half>}, CUDA(.cuda = {lstm_cell_backward_cuda<Half>})}};

const OpTable<LstmCellJvpArgs> lstm_cell_jvp{
    .name = "lstm_cell_jvp",
    .family = OpFamily::Rnn,
    .f32 = {.cpu = {lstm_cell_jvp_cpu<float>}, CUDA(.cuda = {lstm_cell_jvp_cuda<float>})},
    .f64 = {.cpu = {lstm_cell_jvp_cpu<double>}, CUDA(.cuda = {lstm_cell_jvp_cuda<double>})},
    .bf16 = {.cpu = {lstm_cell_jvp_cpu<BFloat16>}, CUDA(.cuda = {lstm_cell_jvp_cuda<BFloat16>})},
    .f16 = {.cpu = {lstm_cell_jvp_cpu<Half>}, CUDA(.cuda = {lstm_cell_jvp_cuda<Half>})}};

// ---- random -------------------------------------------------------------------------------
const OpTable<RandomArgs> random_numbers{
    .name = "random",
    .family = OpFamily::Random,
    .f32 = {.cpu = {random_cpu<float>}, CUDA(.cuda = {random_cuda<float>})},
    .f64 = {.cpu = {random_cpu<double>}, CUDA(.cuda = {random_cuda<double>})},
    .i64 = {.cpu = {random_cpu<int64_t>, random_integer_supported},
            CUDA(.cuda = {random_cuda<int64_t>, random_integer_supported})},
    .bf16 = {.cpu = {random_cpu<BFloat16>}, CUDA(.cuda = {random_cuda<BFloat16>})},
    .f16 = {.cpu = {random_cpu<Half>}, CUDA(.cuda = {random_cuda<Half>})}};

const OpTable<RandpermArgs> randperm{
    .name = "randperm",
    .family = OpFamily::Random,
    .i64 = {.cpu = {randperm_cpu},
            CUDA(.cuda = {.run = randperm_cuda, .workspace_bytes = randperm_cuda_workspace})}};

// ---- optim --------------------------------------------------------------------------------
const OpTable<SgdArgs> sgd_step{
    .name = "sgd_step_",
    .family = OpFamily::Optim,
    .f32 = {.cpu = {sgd_step_cpu<float>}, CUDA(.cuda = {sgd_step_cuda<float>})},
    .f64 = {.cpu = {sgd_step_cpu<double>}, CUDA(.cuda = {sgd_step_cuda<double>})},
    .bf16 = {.cpu = {sgd_step_cpu<BFloat16>}, CUDA(.cuda = {sgd_step_cuda<BFloat16>})},
    .f16 = {.cpu = {sgd_step_cpu<Half>}, CUDA(.cuda = {sgd_step_cuda<Half>})}};

const OpTable<AdamArgs> adam_step{
    .name = "adam_step_",
    .family = OpFamily::Optim,
    .f32 = {.cpu = {adam_step_cpu<float>}, CUDA(.cuda = {adam_step_cuda<float>})},
    .f64 = {.cpu = {adam_step_cpu<double>}, CUDA(.cuda = {adam_step_cuda<double>})},
    .bf16 = {.cpu = {adam_step_cpu<BFloat16>}, CUDA(.cuda = {adam_step_cuda<BFloat16>})},
    .f16 = {.cpu = {adam_step_cpu<Half>}, CUDA(.cuda = {adam_step_cuda<Half>})}};

const OpTable<RmspropArgs> rmsprop_step{
    .name = "rmsprop_step_",
    .family = OpFamily::Optim,
    .f32 = {.cpu = {rmsprop_step_cpu<float>}, CUDA(.cuda = {rmsprop_step_cuda<float>})},
    .f64 = {.cpu = {rmsprop_step_cpu<double>}, CUDA(.cuda = {rmsprop_step_cuda<double>})},
    .bf16 = {.cpu = {rmsprop_step_cpu<BFloat16>}, CUDA(.cuda = {rmsprop_step_cuda<BFloat16>})},
    .f16 = {.cpu = {rmsprop_step_cpu<Half>}, CUDA(.cuda = {rmsprop_step_cuda<Half>})}};

const OpTable<UnscaleArgs> unscale_grad{
    .name = "unscale_grads_",
    .family = OpFamily::Optim,
    .f32 = {.cpu = {unscale_cpu<float>}, CUDA(.cuda = {unscale_cuda<float>})},
    .f64 = {.cpu = {unscale_cpu<double>}, CUDA(.cuda = {unscale_cuda<double>})},
    .bf16 = {.cpu = {unscale_cpu<BFloat16>}, CUDA(.cuda = {unscale_cuda<BFloat16>})},
    .f16 = {.cpu = {unscale_cpu<Half>}, CUDA(.cuda = {unscale_cuda<Half>})}};

// ---- attention ----------------------------------------------------------------------------
// float32 and float64 on CUDA cores, the 16-bit types on tensor cores and through cuDNN's
// fused flash attention (the optional last argument: the vendor entry).
#define GPUNN_ATTENTION_FWD(T, cuda_run, ...) \
  {.cpu = {attention_forward_cpu<T>}, \
   CUDA(.cuda = {.run = cuda_run<T>, .supported = attention_forward_cuda_supported}, ) \
   __VA_ARGS__}
#define GPUNN_ATTENTION_BWD(T, cuda_run, ...) \
  {.cpu = {attention_backward_cpu<T>}, \
   CUDA(.cuda = {.run = cuda_run<T>, .supported = attention_backward_cuda_supported, \
                 .workspace_bytes = attention_backward_cuda_workspace<T>}, ) \
   __VA_ARGS__}
#define GPUNN_ATTENTION_FWD_CUDNN \
  CUDNN_FRONTEND(.cuda_vendor = {.run = attention_forward_cudnn, \
                                 .supported = attention_forward_cudnn_supported, \
                                 .workspace_bytes = attention_forward_cudnn_workspace, \
                                 .libraries = kCudnn})
#define GPUNN_ATTENTION_BWD_CUDNN \
  CUDNN_FRONTEND(.cuda_vendor = {.run = attention_backward_cudnn, \
                                 .supported = attention_backward_cudnn_supported, \
                                 .workspace_bytes = attention_backward_cudnn_workspace, \
                                 .libraries = kCudnn})
const OpTable<AttentionArgs> attention_forward{
    .name = "scaled_dot_product_attention",
    .family = OpFamily::Attention,
    .f32 = GPUNN_ATTENTION_FWD(float, attention_forward_cuda),
    .f64 = GPUNN_ATTENTION_FWD(double, attention_forward_cuda),
    .bf16 = GPUNN_ATTENTION_FWD(BFloat16, attention_forward_tc, GPUNN_ATTENTION_FWD_CUDNN),
    .f16 = GPUNN_ATTENTION_FWD(Half, attention_forward_tc, GPUNN_ATTENTION_FWD_CUDNN)};

const OpTable<AttentionBackwardArgs> attention_backward{
    .name = "scaled_dot_product_attention_backward",
    .family = OpFamily::Attention,
    .f32 = GPUNN_ATTENTION_BWD(float, attention_backward_cuda),
    .f64 = GPUNN_ATTENTION_BWD(double, attention_backward_cuda),
    .bf16 = GPUNN_ATTENTION_BWD(BFloat16, attention_backward_tc, GPUNN_ATTENTION_BWD_CUDNN),
    .f16 = GPUNN_ATTENTION_BWD(Half, attention_backward_tc, GPUNN_ATTENTION_BWD_CUDNN)};
#undef GPUNN_ATTENTION_FWD
#undef GPUNN_ATTENTION_BWD
#undef GPUNN_ATTENTION_FWD_CUDNN
#undef GPUNN_ATTENTION_BWD_CUDNN

}  // namespace gpunn::kernels
// clang-format on
