# CTest check of --profile (tools/common/profile.h) on a training example: runs it with
# --profile into a folder that does not exist yet, then checks the per-op table on stderr
# and the Chrome trace it wrote (valid JSON; op events with the implementation and shapes;
# the example's "step" ranges and the library's "optimizer.step").
#   cmake -DPROGRAM=<example> -DOUT=<folder> -DOP=<an op the example runs> -P profile_test.cmake
file(REMOVE_RECURSE ${OUT})
set(trace ${OUT}/profile/trace.json)
execute_process(COMMAND ${PROGRAM} --smoke --device cpu --out ${OUT} --profile ${trace}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${PROGRAM} --profile failed (${rc}):\n${out}\n${err}")
endif()
# The table: a header, a row for OP on the cpu, the totals and the ranges.
foreach(pattern "op +impl +device +calls +host ms" "\n${OP} +cpu[_a-z]* +cpu +[1-9][0-9]* "
                "total: [1-9][0-9]* launches, host" "\nstep +[1-9][0-9]* " "wrote the trace to ${trace}")
  if(NOT err MATCHES "${pattern}")
    message(FATAL_ERROR "the profile table lacks \"${pattern}\":\n${err}")
  endif()
endforeach()
file(READ ${trace} json)
string(JSON events ERROR_VARIABLE error LENGTH "${json}" traceEvents)
if(error OR events LESS 10)
  message(FATAL_ERROR "${trace}: not a trace with events (${error}, ${events} events)")
endif()
foreach(pattern "\"name\": \"${OP}\", \"cat\": \"op\", \"ph\": \"X\""
                "\"implementation\": \"cpu[_a-z]*\", \"device\": \"cpu\", \"dtype\": \"float32\""
                "\"shapes\": \\[\"\\[[0-9, ]+\\]\""
                "\"name\": \"step\", \"cat\": \"range\""
                "\"name\": \"optimizer.step\", \"cat\": \"range\"")
  if(NOT json MATCHES "${pattern}")
    message(FATAL_ERROR "${trace} has no event matching ${pattern}")
  endif()
endforeach()
message(STATUS "${PROGRAM} --profile: ${events} trace events, table as expected")
