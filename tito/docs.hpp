// docs.hpp — the module pages of docs/, generated from module.yaml and ABOUT.md.
//
// docs/modules/NN_name.md gives one module at a glance — what it teaches, what it
// needs, the lesson's sections (links into its ABOUT.md), the files it exports,
// its tests and milestones, and the commands to work on it — and
// docs/modules/README.md lists every module. Both are derived from the manifest
// (module.yaml is the one list), so `tito docs` writes them and
// `tito docs --check` (CI) fails when one is out of date. They begin with a
// GENERATED note and are never edited by hand.
#pragma once
#include <string>
#include <vector>

#include "tito/manifest.hpp"

namespace tito {

// "## 3. Choosing s and z" -> {level 2, "3. Choosing s and z", anchor "3-choosing-s-and-z"}
struct MarkdownHeading {
  int level = 0;
  std::string text;
  std::string anchor;  // GitHub's: lower case, punctuation dropped, spaces -> '-'
};
// The ## and ### headings of a Markdown text, outside ``` code blocks.
std::vector<MarkdownHeading> markdown_headings(const std::string& markdown);  // anchors numbered as GitHub does: "x", "x-1", ...
std::string github_anchor(const std::string& heading_text);

// The page of `module` (about_markdown: its ABOUT.md, or "" when missing).
std::string module_page(const Project& project, const ModuleSpec& module, const std::string& about_markdown);
// docs/modules/README.md: one row per module, one per milestone.
std::string modules_index_page(const Project& project);

struct DocFile {
  std::string path;  // relative to the root: "docs/modules/01_tensor.md"
  std::string content;
};
// Every generated page of `project` (reads each module's ABOUT.md).
std::vector<DocFile> generated_docs(const Project& project);

}  // namespace tito
