# Warnings for gpunn's own targets. -Wswitch (in -Wall) catches a missing enum
# case: switches over our enums leave out `default:` on purpose.
function(gpunn_set_warnings target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE
      $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor>)
    # GCC 12's -Wrestrict misfires inside libstdc++'s operator+("literal", std::string&&)
    # once inlined at -O3 ("accessing 9223372036854775810 or more bytes"), depending on
    # the surrounding code; GCC 13 no longer does. Off for GCC 12 and older only.
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
      target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Wno-restrict>)
    endif()
    if(GPUNN_WARNINGS_AS_ERRORS)
      target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Werror>)
    endif()
  endif()
  # CUDA sources: nvcc's own warnings and the host compiler's on the host code (not
  # -Wpedantic or -Wshadow, which fire on the code nvcc generates around kernels).
  # Registers and spills per kernel: GPUNN_CUDA_PTXAS_VERBOSE=ON (tools/cuda_resources.sh
  # tabulates them); spills are not errors (GEMM variant 3 trades a few bytes of spill
  # for two blocks per SM).
  if(CMAKE_CUDA_COMPILER)
    target_compile_options(${target} PRIVATE
      $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall,-Wextra>)
    if(GPUNN_CUDA_PTXAS_VERBOSE)
      target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:-Xptxas=-v>)
    endif()
    if(GPUNN_WARNINGS_AS_ERRORS)
      target_compile_options(${target} PRIVATE
        $<$<COMPILE_LANGUAGE:CUDA>:-Werror=all-warnings -Xcompiler=-Werror>)
    endif()
  endif()
endfunction()
