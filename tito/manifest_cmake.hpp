// manifest_cmake.hpp — rendering tinytorch/manifest.cmake from the project.
//
// The top-level CMakeLists.txt includes this file; it calls
//   tinytorch_module(NAME LIBRARY_SOURCES ... ISA_SOURCES file=isa ... CHECKS f TESTS ...)
//   tinytorch_milestone(ID SOURCES ... CHECK_ARGS ...)
// once per module (number order) and milestone (id order). Nothing here is
// declared twice: it is module.yaml and milestone.yaml, restated for CMake.
#pragma once

#include <string>

#include "tito/manifest.hpp"

namespace tito {

// The whole file, stamp line first, ending in a newline.
std::string render_manifest_cmake(const Project& project);

// One argument as CMake reads it: bare when safe, otherwise a quoted argument.
std::string cmake_argument(const std::string& text);

}  // namespace tito
