// model_io.cpp — Module 07: named parameters <-> safetensors (see model_io.hpp).
#include "tinytorch/io/model_io.hpp"

#include <filesystem>
#include <set>
#include <system_error>

#include "tinytorch/io/safetensors.hpp"

namespace tinytorch {

int64_t save_model(const Module& module, const std::string& path) {
  const std::filesystem::path file(path);
  if (file.has_parent_path()) {
    std::error_code error;
    std::filesystem::create_directories(file.parent_path(), error);
    if (error) {
      throw FileError("save_model: cannot create the folder " + file.parent_path().string() + " for " + path + ": " +
                      error.message());
    }
  }
  save_safetensors(path, module.named_parameters(), {{"format", "pt"}, {"producer", "tinytorch"}});
  std::error_code error;
  const auto bytes = std::filesystem::file_size(file, error);
  if (error) throw FileError("save_model: wrote " + path + " but cannot read its size: " + error.message());
  return static_cast<int64_t>(bytes);
}

void load_model(Module& module, const std::string& path) {
  const SafetensorsFile file = load_safetensors(path);
  const NamedParameters parameters = module.named_parameters();
  // Check everything first, so a bad file leaves the model untouched.
  std::set<std::string> expected;
  for (const auto& [name, parameter] : parameters) {
    expected.insert(name);
    if (!file.contains(name)) {
      throw ValueError("load_model: " + path + " has no tensor '" + name + "' (the model's parameter " +
                       shape_str(parameter.shape()) + ")");
    }
    const Tensor& stored = file.at(name);
    if (stored.dtype() != DType::Float32) {
      throw DTypeError("load_model: tensor '" + name + "' in " + path + " is " +
                       std::string(dtype_name(stored.dtype())) + "; expected float32 (F32)");
    }
    if (stored.shape() != parameter.shape()) {
      throw ShapeError("load_model: tensor '" + name + "' in " + path + " is " + shape_str(stored.shape()) +
                       " but the model's parameter is " + shape_str(parameter.shape()));
    }
  }
  for (const auto& [name, stored] : file.tensors) {
    if (expected.count(name) == 0) {
      throw ValueError("load_model: " + path + " holds a tensor '" + name + "' " + shape_str(stored.shape()) +
                       " that the model does not have; expected exactly the model's named_parameters()");
    }
  }
  for (const auto& [name, parameter] : parameters) {
    Tensor target = parameter;  // shares storage with the module's parameter
    target.copy_(file.at(name));
  }
}

}  // namespace tinytorch
