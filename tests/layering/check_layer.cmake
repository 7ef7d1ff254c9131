# One layer's include rule (tests/layering/CMakeLists.txt): ALLOWED must compile with
# the layer's include root ROOT (plus the public headers), FORBIDDEN must not, and for
# the right reason.
file(MAKE_DIRECTORY "${WORK}")
function(probe header out_rc out_text)
  if(header MATCHES "^gpunn/")
    set(line "#include <${header}>")
  else()
    set(line "#include \"${header}\"")
  endif()
  string(MAKE_C_IDENTIFIER "${header}" name)
  set(source "${WORK}/${name}.cpp")
  file(WRITE "${source}" "${line}\nint main() { return 0; }\n")
  execute_process(COMMAND "${CXX}" -std=c++20 -fsyntax-only -I${ROOT} -I${PUBLIC} -I${GENERATED}
                          "${source}"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  set(${out_rc} ${rc} PARENT_SCOPE)
  set(${out_text} "${out}${err}" PARENT_SCOPE)
endfunction()

probe("${ALLOWED}" rc text)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "layering: ${ALLOWED} should compile in this layer but does not:\n${text}")
endif()
probe("${FORBIDDEN}" rc text)
if(rc EQUAL 0)
  message(FATAL_ERROR "layering: ${FORBIDDEN} compiled in this layer; it must not be reachable")
endif()
if(NOT text MATCHES "No such file or directory|file not found")
  message(FATAL_ERROR "layering: ${FORBIDDEN} failed to compile, but not for want of the file:\n"
                      "${text}")
endif()
message(STATUS "layering: ${ALLOWED} compiles; ${FORBIDDEN} is out of reach")
