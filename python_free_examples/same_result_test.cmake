# Runs PROGRAM twice, with FIRST and with SECOND as extra arguments ('|' between them), and
# requires the fields KEYS ('|' between them) of the two JSON lines (the last line each
# prints) to be the same to the last digit: for options that must not change the result.
#   cmake -DPROGRAM=<example> -DFIRST="--smoke|--device|cpu" -DSECOND="...|--checkpoint|3"
#         -DKEYS="final_loss" -P same_result_test.cmake
cmake_minimum_required(VERSION 3.20)

function(run_program args out_var)
  string(REPLACE "|" ";" argv "${args}")
  execute_process(COMMAND "${PROGRAM}" ${argv} RESULT_VARIABLE rc OUTPUT_VARIABLE stdout
                  ERROR_VARIABLE stderr)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${PROGRAM} ${argv} failed (${rc}):\n${stdout}\n${stderr}")
  endif()
  string(STRIP "${stdout}" stdout)
  string(REGEX REPLACE ".*\n" "" last "${stdout}")
  set(${out_var} "${last}" PARENT_SCOPE)
endfunction()

run_program("${FIRST}" first)
run_program("${SECOND}" second)
string(REPLACE "|" ";" keys "${KEYS}")
foreach(key ${keys})
  string(JSON a ERROR_VARIABLE err_a GET "${first}" ${key})
  string(JSON b ERROR_VARIABLE err_b GET "${second}" ${key})
  if(err_a OR err_b)
    message(FATAL_ERROR "no \"${key}\": ${first}\n${second}")
  endif()
  if(NOT a STREQUAL b)
    message(FATAL_ERROR "${key}: ${a} with ${FIRST}, ${b} with ${SECOND}")
  endif()
  message(STATUS "${key}: ${a} both times")
endforeach()
