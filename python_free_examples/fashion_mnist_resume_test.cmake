# example.fashion_mnist.resume: a run stopped after epoch 1 and resumed from its
# checkpoint must end exactly where an uninterrupted run ends.
#   cmake -DPROGRAM=<fashion_mnist> -DOUT=<folder> -P fashion_mnist_resume_test.cmake
cmake_minimum_required(VERSION 3.20)
file(REMOVE_RECURSE "${OUT}")
set(common --smoke --device cpu --model cnn --epochs 2 --batch 32 --seed 3)

function(run_program out_var)
  execute_process(COMMAND "${PROGRAM}" ${common} ${ARGN} RESULT_VARIABLE rc
                  OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr)
  if(rc EQUAL 77)
    message("FASHION_MNIST_MISSING: the dataset is not installed")
    return()
  endif()
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "fashion_mnist ${ARGN} failed (${rc}):\n${stdout}\n${stderr}")
  endif()
  string(STRIP "${stdout}" stdout)
  string(REGEX REPLACE ".*\n" "" last "${stdout}")  # the JSON line
  set(${out_var} "${last}" PARENT_SCOPE)
endfunction()

function(json_field json key out_var)
  string(JSON v ERROR_VARIABLE err GET "${json}" ${key})
  if(err)
    message(FATAL_ERROR "no \"${key}\" in ${json}: ${err}")
  endif()
  set(${out_var} "${v}" PARENT_SCOPE)
endfunction()

run_program(straight --out "${OUT}/straight")
if(NOT straight)
  return()
endif()
run_program(first --out "${OUT}/resumed" --stop-after 1)
json_field("${first}" stopped stopped)
if(NOT stopped)
  message(FATAL_ERROR "--stop-after 1 did not stop: ${first}")
endif()
run_program(resumed --out "${OUT}/resumed" --resume "${OUT}/resumed/checkpoint.safetensors")

foreach(key test_acc train_loss val_acc best_epoch epochs)
  json_field("${straight}" ${key} a)
  json_field("${resumed}" ${key} b)
  if(NOT a STREQUAL b)
    message(FATAL_ERROR "${key}: ${a} without a break, ${b} after --resume\n"
                        "straight: ${straight}\nresumed: ${resumed}")
  endif()
endforeach()
message("resume matches: ${resumed}")
