#pragma once
// `--model NAME|FILE`, as run, estimate, comm, compare and report take it: a model config
// (configs/models/*.toml or a .toml file), its refusal naming the flag as --site's does.
#include <string>

#include "harness/model/model_config.hpp"

namespace tb::cli {

// The model --model names. A name that is no config or a path that is no file is a UsageError
// naming --model, with the accepted names and the near miss ("--model: unknown model 'gpt9' (did
// you mean gpt1?); valid names: ...").
ModelConfig load_model_flag(const std::string& model);

}  // namespace tb::cli
