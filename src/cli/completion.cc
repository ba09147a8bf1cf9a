#include "cli/completion.h"

namespace fastgpu::cli {
namespace {

std::string Join(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

// Text safe inside a zsh single-quoted spec '--flag[...]' or 'name:...'.
std::string ZshSafe(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\'' || c == '[' || c == ']' || c == ':' || c == '\\') continue;
    out += c;
  }
  return out;
}

}  // namespace

std::string BashCompletion(const CompletionSpec& spec) {
  std::vector<std::string> names;
  for (const CompletionCommand& c : spec.commands) names.push_back(c.name);
  std::string s =
      "# bash completion for fastgpu: source <(fastgpu completion bash)\n"
      "_fastgpu() {\n"
      "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
      "  local cmd=\"\" i\n"
      "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
      "    case \"${COMP_WORDS[i]}\" in\n"
      "      --url|--api-key) ((i++)) ;;\n"
      "      -*) ;;\n"
      "      *) cmd=\"${COMP_WORDS[i]}\"; break ;;\n"
      "    esac\n"
      "  done\n"
      "  case \"$prev\" in\n"
      "    -f|--file) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n"
      "  esac\n"
      "  local words=\"\"\n"
      "  case \"$cmd\" in\n"
      "    \"\") words=\"" +
      Join(names) + " " + Join(spec.global_flags) +
      "\" ;;\n"
      "    completion) words=\"bash zsh\" ;;\n";
  for (const CompletionCommand& c : spec.commands) {
    if (c.name == "completion") continue;
    s += "    " + c.name + ") words=\"" + Join(c.flags) + "\" ;;\n";
  }
  s += "  esac\n"
       "  if [[ \"$cmd\" == poll && \"$cur\" != -* ]]; then\n"
       "    COMPREPLY=($(compgen -d -- \"$cur\")); return\n"
       "  fi\n"
       "  COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
       "}\n"
       "complete -F _fastgpu fastgpu\n";
  return s;
}

std::string ZshCompletion(const CompletionSpec& spec) {
  std::string s =
      "#compdef fastgpu\n"
      "# zsh completion for fastgpu: source <(fastgpu completion zsh), or save as _fastgpu\n"
      "# in a folder of $fpath.\n"
      "_fastgpu() {\n"
      "  local -a commands\n"
      "  commands=(\n";
  for (const CompletionCommand& c : spec.commands) {
    s += "    '" + ZshSafe(c.name) + ":" + ZshSafe(c.help) + "'\n";
  }
  s += "  )\n"
       "  if (( CURRENT == 2 )); then\n"
       "    _describe 'command' commands\n"
       "    return\n"
       "  fi\n"
       "  case $words[2] in\n"
       "    completion) compadd bash zsh ;;\n";
  for (const CompletionCommand& c : spec.commands) {
    if (c.name == "completion") continue;
    s += "    " + c.name + ") compadd -- " + Join(c.flags);
    if (c.name == "poll") s += "; _files -/";
    if (c.name == "submit") s += "; _files";
    s += " ;;\n";
  }
  s += "  esac\n"
       "}\n"
       "if [[ \"${zsh_eval_context[-1]}\" == loadautofunc ]]; then\n"
       "  _fastgpu \"$@\"\n"
       "else\n"
       "  compdef _fastgpu fastgpu\n"
       "fi\n";
  return s;
}

}  // namespace fastgpu::cli
