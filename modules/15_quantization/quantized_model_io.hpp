// quantized_model_io.hpp — Module 15: quantized models on disk, 4× smaller.
//
// A quantized Sequential is saved as a safetensors file (tinytorch/io/safetensors.hpp);
// for a static int8 layer 0:
//
//   "0.weight"             I8  (256, 784)    q_w
//   "0.weight_scale"       F32 (256)         s_w, one per output channel (or (1))
//   "0.weight_zero_point"  I32 (256)         z_w
//   "0.bias"               I32 (256)         q_b at scale s_x·s_w (static) — F32 b in dynamic mode
//                                            (and for a static layer saved before calibration)
//   "0.input_scale"        F32 (1)           s_x (static)
//   "0.input_zero_point"   I32 (1)           z_x (static)
//   "0.output_scale"       F32 (1)           s_y (static, integer pipeline: the next layer's s_x)
//   "0.output_zero_point"  I32 (1)           z_y (static, integer pipeline)
//   "4.weight", "4.bias"   F32               a Linear kept in FP32 (skip_layers)
//
// a weight-only INT4 layer 2 (Int4Linear, int4_linear.hpp), here 256 -> 128 at group 32:
//
//   "2.weight"             U8  (128, 128)    the nibbles q + 8, two per byte: (N, ceil(K/2))
//   "2.weight_scale"       F16 (128, 8)      s[n, g], (N, ceil(K/group_size))
//   "2.bias"               F32 (128)         b
//
// or a weight-only FP16 / BF16 layer 2 (HalfLinear, half_linear.hpp):
//
//   "2.weight"             F16 or BF16 (128, 256)   W rounded to 16 bits
//   "2.bias"               F32 (128)                b
//
// and in "__metadata__": "format": "tinytorch.quantized", "version": "1", "2" or "3",
// "layers": a JSON list with each layer's type and settings
// ([{"type": "QuantizedLinear", "in": 784, "out": 256, ...}, {"type": "ReLU"}, ...])
// and "config": the QuantConfig as YAML. Loading rebuilds the same layers from
// that list, so a loaded model gives bit-identical outputs. It comes back in
// evaluation mode (Dropout off; a Dropout layer draws from the default generator).
//
// Versions. 2 adds the integer pipeline: every QuantizedLinear entry has
// "uint8_output" and "fused_relu" (with the output tensors above when
// uint8_output is true), and a FusedReLU layer is {"type": "FusedReLU"}. A model
// that does not use the pipeline is still written as version 1 — exactly the
// first format, so older readers keep reading it. 3 adds the weight-only layers:
// {"type": "Int4Linear", "in": K, "out": N, "bias": true, "group_size": 32} and
// {"type": "HalfLinear", "in": K, "out": N, "bias": true, "format": "float16" or
// "bfloat16"}; only a model holding one is written as version 3 (a model without
// one keeps version 1 or 2). All three versions load.
//
// Saving is atomic (a crash leaves the old file or the new one). Loading checks
// everything: a missing tensor, a wrong dtype or shape, an unknown layer type,
// a bad config, a truncated or corrupt file, an Int4Linear whose scale count
// disagrees with its group_size — each is an error naming the file and the problem.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "tinytorch/core/sequential.hpp"
#include "tinytorch/perf/quant_config.hpp"

namespace tinytorch {

// Writes `model` (QuantizedLinear, Int4Linear, HalfLinear, Linear and parameter-free layers: ReLU,
// FusedReLU, Sigmoid, Tanh, GELU, Softmax, Dropout) to `path`, creating the parent
// directory. Returns the file's size in bytes. A layer of another type is a
// ValueError naming its index and type.
int64_t save_quantized_model(const Sequential& model, const std::string& path, const QuantConfig& config);

struct LoadedQuantizedModel {
  std::shared_ptr<Sequential> model;
  QuantConfig config;
};
LoadedQuantizedModel load_quantized_model(const std::string& path);

}  // namespace tinytorch
