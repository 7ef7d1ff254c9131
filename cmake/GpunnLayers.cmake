# The layers of docs/design.md as the build sees them: one object library per layer,
# each compiled with only the include folders it may use, all linked into one libgpunn.
#
#   gpunn_add_layer(core SEES core kernels USES CUDA SOURCES a.cpp b.cpp ...)
#
# SEES: the source folders (relative to the project root) whose headers the layer may
# include as "folder/...". The layer's include root is a folder in the build tree
# holding a symbolic link per seen folder and nothing else, so an include from a folder
# it may not see does not compile ("No such file or directory"); tests/build/ checks it.
# Every layer sees the public headers (include/gpunn/).
# USES: the libraries whose headers the layer may include (CUDA, CUDNN, CUDNN_FRONTEND, ONEDNN, ZLIB,
# OPENMP), when the build has them.
# Objects are compiled hidden: only the public API (the GPUNN_API_BEGIN/END regions of
# include/gpunn/, gpunn/export.h) is exported from libgpunn.so.
set_property(GLOBAL PROPERTY GPUNN_LAYERS "")

function(gpunn_layer_root layer out)
  set(${out} ${PROJECT_BINARY_DIR}/layer-roots/${layer} PARENT_SCOPE)
endfunction()

function(gpunn_add_layer name)
  cmake_parse_arguments(L "" "" "SEES;USES;SOURCES" ${ARGN})
  gpunn_layer_root(${name} root)
  file(REMOVE_RECURSE ${root})
  foreach(folder IN LISTS L_SEES)
    get_filename_component(parent ${root}/${folder} DIRECTORY)
    file(MAKE_DIRECTORY ${parent})
    file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${folder} ${root}/${folder} SYMBOLIC)
  endforeach()
  set_property(GLOBAL PROPERTY GPUNN_LAYER_${name}_SEES ${L_SEES})
  set_property(GLOBAL PROPERTY GPUNN_LAYER_${name}_USES ${L_USES})
  if(NOT L_SOURCES)  # a header-only layer (the base layer of a build without CUDA)
    return()
  endif()
  set(target gpunn_${name})
  add_library(${target} OBJECT ${L_SOURCES})
  target_compile_features(${target} PRIVATE cxx_std_20)
  set_target_properties(${target} PROPERTIES
    CXX_EXTENSIONS OFF
    POSITION_INDEPENDENT_CODE ON
    CXX_VISIBILITY_PRESET hidden
    CUDA_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_include_directories(${target} PRIVATE
    ${root} ${PROJECT_SOURCE_DIR}/include ${PROJECT_BINARY_DIR}/include)
  gpunn_layer_dependencies(${target} ${L_USES})
  gpunn_set_warnings(${target})
  set_property(GLOBAL APPEND PROPERTY GPUNN_LAYERS ${target})
endfunction()

# The objects of every layer, for add_library().
function(gpunn_layer_objects out)
  get_property(layers GLOBAL PROPERTY GPUNN_LAYERS)
  set(objects "")
  foreach(layer IN LISTS layers)
    list(APPEND objects $<TARGET_OBJECTS:${layer}>)
  endforeach()
  set(${out} ${objects} PARENT_SCOPE)
endfunction()
