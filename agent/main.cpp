#include "agent/commands/cli.h"

int main(int argc, char** argv) { return turnout::agent::main_cli(argc, argv); }
