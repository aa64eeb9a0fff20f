# The layer test: fails when a file includes a header of a layer above its
# own. az is a stack, each folder a layer that may use only those below it:
#
#   base <- games <- engine <- nn <- selfplay <- store <- analysis <- tools
#
# tests/LAYER/ may include its layer, the layers below, and the tests'
# helpers of those layers (tests/*.h, tests/LOWER/*.h); no library includes
# tests/. Run as: cmake -DROOT=<source dir> -P tools/check_layers.cmake
# (ctest runs it as tools_layers_test).
cmake_minimum_required(VERSION 3.20)
if(NOT ROOT)
  message(FATAL_ERROR "usage: cmake -DROOT=<source dir> -P check_layers.cmake")
endif()
set(LAYERS base games engine nn selfplay store analysis tools)

# The index of `folder` in LAYERS (-1 if it is none).
function(layer_index folder out)
  list(FIND LAYERS "${folder}" index)
  set(${out} ${index} PARENT_SCOPE)
endfunction()

set(violations 0)
set(checked 0)
# Checks every include of `file`, which sits in layer `own` (an index);
# `in_tests` says whether it is a test file.
function(check_file file own in_tests)
  file(READ "${file}" text)
  # One list entry per line (semicolons would split lines: escape them).
  string(REPLACE ";" "," text "${text}")
  string(REPLACE "\n" ";" lines "${text}")
  set(number 0)
  set(found ${violations})
  foreach(line IN LISTS lines)
    math(EXPR number "${number} + 1")
    if(NOT line MATCHES "^[ \t]*#[ \t]*include[ \t]*\"([a-z_0-9]+)/([^\"]*)\"")
      continue()
    endif()
    set(folder "${CMAKE_MATCH_1}")
    set(rest "${CMAKE_MATCH_2}")
    set(target_layer "")
    if(folder STREQUAL "tests")
      if(NOT in_tests)
        set(why "a library may not include the tests' helpers")
        set(target_layer 999)
      elseif(rest MATCHES "^([a-z_0-9]+)/")
        layer_index("${CMAKE_MATCH_1}" target_layer)
      else()
        set(target_layer -1)  # tests/*.h: shared helpers
      endif()
    else()
      layer_index("${folder}" target_layer)
    endif()
    if(target_layer GREATER own)
      file(RELATIVE_PATH shown "${ROOT}" "${file}")
      list(GET LAYERS ${own} own_name)
      if(NOT why)
        set(why "${folder}/ is above ${own_name}/")
      endif()
      message("${shown}:${number}: includes \"${folder}/${rest}\": ${why}")
      math(EXPR found "${found} + 1")
      unset(why)
    endif()
  endforeach()
  set(violations ${found} PARENT_SCOPE)
endfunction()

list(LENGTH LAYERS count)
math(EXPR last "${count} - 1")
foreach(index RANGE ${last})
  list(GET LAYERS ${index} layer)
  file(GLOB_RECURSE sources "${ROOT}/${layer}/*.h" "${ROOT}/${layer}/*.cc")
  file(GLOB_RECURSE tests "${ROOT}/tests/${layer}/*.h" "${ROOT}/tests/${layer}/*.cc")
  foreach(file IN LISTS sources)
    check_file("${file}" ${index} FALSE)
    math(EXPR checked "${checked} + 1")
  endforeach()
  foreach(file IN LISTS tests)
    check_file("${file}" ${index} TRUE)
    math(EXPR checked "${checked} + 1")
  endforeach()
endforeach()

if(violations GREATER 0)
  message(FATAL_ERROR "${violations} include(s) break the layers "
                      "(${checked} files checked)")
endif()
message("layers hold: ${checked} files checked, every include points down")
