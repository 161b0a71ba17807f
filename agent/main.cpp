#include "agent/cli.h"

int main(int argc, char** argv) { return turnout::agent::main_cli(argc, argv); }
