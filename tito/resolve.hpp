// resolve.hpp — turning what a user types into a module or milestone.
//
// A module can be named by its number ("1", "01", "15"), its full name
// ("01_tensor") or its name without the number ("tensor"), in any case.
// Milestones likewise: "3", "03", "03_1986_mlp", "1986_mlp". Anything else is a
// UsageError that lists every valid name.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tito/manifest.hpp"

namespace tito {

const ModuleSpec& resolve_module(const Project& project, std::string_view spelled);

// Resolves each name; the result is in number order, without duplicates.
std::vector<const ModuleSpec*> resolve_modules(const Project& project, const std::vector<std::string>& spelled);

// Every module, in number order.
std::vector<const ModuleSpec*> all_modules(const Project& project);

const MilestoneSpec& resolve_milestone(const Project& project, std::string_view spelled);

}  // namespace tito
