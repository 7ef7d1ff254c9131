# example.fashion_mnist.resume: a run stopped after epoch 1 and resumed from its
# checkpoint must end exactly where an uninterrupted run ends; so must a run interrupted by
# SIGINT inside an epoch and continued with the command it prints (--resume alone: the
# settings come from the checkpoint), and --resume with a conflicting setting is refused.
# A run with --recompute (activations recomputed in backward) must end there too.
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

function(expect_same straight_json other_json what)
  foreach(key test_acc train_loss val_acc best_epoch epochs)
    json_field("${straight_json}" ${key} a)
    json_field("${other_json}" ${key} b)
    if(NOT a STREQUAL b)
      message(FATAL_ERROR "${key}: ${a} without a break, ${b} ${what}\n"
                          "straight: ${straight_json}\nother: ${other_json}")
    endif()
  endforeach()
endfunction()
expect_same("${straight}" "${resumed}" "after --stop-after 1 and --resume")

# Recompute instead of store (segments of 3 modules, the CNN's first two recomputed in
# backward): the same gradients, so the same run to the last digit.
run_program(recomputed --out "${OUT}/recomputed" --recompute 3)
expect_same("${straight}" "${recomputed}" "with --recompute 3")

# SIGINT at step 10 of the first epoch (the hidden option raises it as Ctrl-C would).
execute_process(COMMAND "${PROGRAM}" ${common} --out "${OUT}/interrupted" --raise-sigint-at-step 10
                RESULT_VARIABLE rc OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr)
if(NOT rc EQUAL 130 OR NOT stdout MATCHES "continue with: ([^\n]*)")
  message(FATAL_ERROR "SIGINT: exit ${rc}, expected 130 and a 'continue with:' line:\n"
                      "${stdout}\n${stderr}")
endif()
set(command "${CMAKE_MATCH_1}")
if(NOT command MATCHES "--resume .*/interrupted/checkpoint.safetensors")
  message(FATAL_ERROR "the printed command does not resume the checkpoint: ${command}")
endif()
# A setting given with another value than the checkpoint's is refused, naming both.
execute_process(COMMAND "${PROGRAM}" --resume "${OUT}/interrupted/checkpoint.safetensors"
                        --device cpu --lr 0.5
                RESULT_VARIABLE rc OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr)
if(rc EQUAL 0 OR NOT stderr MATCHES "--lr 0.5 differs from the checkpoint's 0.05")
  message(FATAL_ERROR "--resume with --lr 0.5: exit ${rc}:\n${stdout}\n${stderr}")
endif()
separate_arguments(argv UNIX_COMMAND "${command}")
execute_process(COMMAND ${argv} RESULT_VARIABLE rc OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${command} failed (${rc}):\n${stdout}\n${stderr}")
endif()
string(STRIP "${stdout}" stdout)
string(REGEX REPLACE ".*\n" "" continued "${stdout}")
expect_same("${straight}" "${continued}" "after SIGINT and the printed command")
message("resume matches: ${resumed}; after SIGINT: ${continued}")
