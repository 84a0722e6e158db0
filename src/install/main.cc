#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "run.h"

extern char** environ;

int main(int argc, char** argv) {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    size_t eq = entry.find('=');
    if (eq != std::string::npos) env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
  }
  return multus::install::Run(std::vector<std::string>(argv + 1, argv + argc), env, std::cout,
                              std::cerr);
}
