#pragma once

namespace turnout::agent {

/// The whole command line of `turnout`: parses argv, runs the subcommand, returns the exit code.
int main_cli(int argc, char** argv);

}  // namespace turnout::agent
