# CTest check of `gpunn time` (tools/cli/CMakeLists.txt): runs it on the CPU
# with tiny settings and reads back the JSON it wrote; then bad options, which
# must fail with a message naming what was wrong.
#   cmake -DGPUNN=<path to gpunn> -DOUT=<json file> -P check_time_json.cmake
execute_process(COMMAND ${GPUNN} time lenet --device cpu --batch 4 --iters 2 --warmup 1
                        --impl auto,conv=custom --json ${OUT}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "gpunn time failed (${rc}):\n${out}\n${err}")
endif()
file(READ ${OUT} json)
# The last stdout line is the same results as one JSON object.
string(REGEX REPLACE "\n+$" "" trimmed "${out}")
string(REGEX MATCH "[^\n]*$" last_line "${trimmed}")
string(JSON last_model ERROR_VARIABLE last_error GET "${last_line}" model)
if(last_error OR NOT last_model STREQUAL "lenet")
  message(FATAL_ERROR "the last stdout line is not the results' JSON (${last_error}): ${last_line}")
endif()

function(expect_equal key expected)
  string(JSON v GET "${json}" ${key})
  if(NOT v STREQUAL expected)
    message(FATAL_ERROR "\"${key}\" is \"${v}\", expected \"${expected}\"")
  endif()
endfunction()
# A number strictly greater than 0 (CMake compares decimals as floats here).
function(expect_positive what v)
  if(NOT v MATCHES "^[0-9.eE+-]+$" OR NOT v GREATER 0)
    message(FATAL_ERROR "${what} is \"${v}\", expected a positive number")
  endif()
endfunction()

expect_equal(model lenet)
expect_equal(batch 4)
expect_equal(device cpu)
expect_equal(precision fp32)
expect_equal(iters 2)
expect_equal(timer steady_clock)
string(JSON impl GET "${json}" impl)
if(NOT impl MATCHES "conv=custom" OR NOT impl MATCHES "gemm=auto")
  message(FATAL_ERROR "impl is \"${impl}\", expected conv=custom and gemm=auto")
endif()
foreach(key forward_ms backward_ms iteration_ms images_per_s iteration_flops iteration_gflops
            peak_bytes)
  string(JSON v GET "${json}" ${key})
  expect_positive(${key} ${v})
endforeach()
string(JSON n LENGTH "${json}" iteration_ms_all)
if(NOT n EQUAL 2)
  message(FATAL_ERROR "iteration_ms_all has ${n} entries, expected 2 (--iters)")
endif()

# LeNet-5: conv, ReLU, pool, conv, ReLU, pool, flatten, FC, ReLU, FC, ReLU, FC.
string(JSON layers LENGTH "${json}" layers)
if(NOT layers EQUAL 12)
  message(FATAL_ERROR "${layers} layers, expected 12")
endif()
string(JSON type GET "${json}" layers 0 type)
string(JSON fwd_flops GET "${json}" layers 0 forward_flops)
string(JSON bwd_flops GET "${json}" layers 0 backward_flops)
# conv 1->6 5x5 pad 2 on 4 images: 2·(4·6·28·28)·25 multiply-adds + 4·6·28·28
# bias adds; its input is data, so the backward is the weight gradient only.
if(NOT type STREQUAL "Conv2d" OR NOT fwd_flops EQUAL 959616 OR NOT bwd_flops EQUAL 959616)
  message(FATAL_ERROR "layer 0: ${type}, ${fwd_flops} / ${bwd_flops} FLOPs, expected Conv2d, "
                      "959616 / 959616")
endif()
string(JSON shape GET "${json}" layers 11 output_shape)
string(JSON fc GET "${json}" layers 11 backward_flops)
# FC 84->10 on 4 images: weight and input gradients, 2·2·4·84·10, + 40 bias.
if(NOT fc EQUAL 13480)
  message(FATAL_ERROR "layer 11 backward FLOPs ${fc}, expected 13480")
endif()
# What ran, per layer: with conv=custom the convolution is the reference loops.
string(JSON fwd_impl GET "${json}" layers 0 forward_impl 0)
string(JSON bwd_impl GET "${json}" layers 0 backward_impl)
if(NOT fwd_impl STREQUAL "conv2d:cpu" OR NOT bwd_impl MATCHES "\"conv2d_backward_weight:cpu\"")
  message(FATAL_ERROR "layer 0 ran ${fwd_impl} / ${bwd_impl}, expected conv2d:cpu and "
                      "conv2d_backward_weight:cpu")
endif()
string(JSON tuned_type TYPE "${json}" tuned)
if(NOT tuned_type STREQUAL "ARRAY")
  message(FATAL_ERROR "\"tuned\" is ${tuned_type}, expected a list of auto's choices")
endif()
foreach(i RANGE 0 11)
  string(JSON f GET "${json}" layers ${i} forward_ms)
  expect_positive("layers[${i}].forward_ms" ${f})
endforeach()
foreach(i 0 3 7 9 11)  # layers with parameters have a backward
  string(JSON b GET "${json}" layers ${i} backward_ms)
  expect_positive("layers[${i}].backward_ms" ${b})
endforeach()

# Bad input: a clear error, non-zero exit, no crash.
function(expect_failure pattern)
  execute_process(COMMAND ${GPUNN} ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  if(rc EQUAL 0 OR NOT rc MATCHES "^[0-9]+$" OR NOT "${out}${err}" MATCHES "${pattern}")
    message(FATAL_ERROR "gpunn ${ARGN}: exit ${rc}, output:\n${out}${err}\n"
                        "expected a failure saying \"${pattern}\"")
  endif()
endfunction()
expect_failure("unknown model \"resnet\"" time resnet --device cpu)
expect_failure("unknown op family \"convolution\"" time mlp --device cpu --impl convolution=custom)
expect_failure("expected \"auto\", \"custom\" or \"vendor\", got \"fastest\"" time mlp --device cpu --impl fastest)
expect_failure("--precision: fp8 not in {fp32,tf32,bf16,fp16}" time mlp --device cpu --precision fp8)
expect_failure("--iters: must be > 0, got 0" time mlp --device cpu --iters 0)
# An unwritable --json fails at start-up with the reason, before any timing.
expect_failure("cannot write --json file \"/nonexistent-gpunn-dir/t.json\": No such file or directory"
               time mlp --device cpu --json /nonexistent-gpunn-dir/t.json)
expect_failure("--batch: must be > 0, got -3" time mlp --device cpu --batch -3)
# 0 is a value, not "the default": refused with the bound, in one line.
expect_failure("--batch: must be > 0, got 0" time mlp --device cpu --batch 0)
expect_failure("--warmup: must be >= 0, got -1" time mlp --device cpu --warmup -1)
message(STATUS "gpunn time: JSON and errors as expected")
