// model_io.hpp — Module 07: save a trained model to a file, and load it back.
//
// A model's state is its named parameters (Module::named_parameters):
//
//   "0.weight" (256, 784)   "0.bias" (256)   "2.weight" (128, 256)   ...
//
// save_model writes exactly these tensors to a safetensors file
// (tinytorch/io/safetensors.hpp) — the names and layout of PyTorch's
// state_dict, so `safetensors.torch.load_file` + `model.load_state_dict` read
// it into the same nn.Sequential. load_model copies the file's values *into*
// the existing parameters (their storage, so an optimizer holding them sees
// the new values). It is strict, like load_state_dict(strict=True): every
// parameter must be in the file with its exact shape and dtype float32, and
// the file must hold nothing else.
#pragma once

#include <cstdint>
#include <string>

#include "tinytorch/core/module.hpp"

namespace tinytorch {

// Writes module.named_parameters() to `path` (atomically, see save_safetensors),
// creating the parent directory if needed. Returns the file's size in bytes.
int64_t save_model(const Module& module, const std::string& path);

// Reads `path` into module's parameters. FileError for a missing or corrupt
// file; ShapeError naming the tensor whose shape differs; DTypeError for a
// tensor that is not F32; ValueError naming missing or unexpected tensors.
// Nothing is modified unless every check passes.
void load_model(Module& module, const std::string& path);

}  // namespace tinytorch
