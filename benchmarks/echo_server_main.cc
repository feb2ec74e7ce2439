// main() of every W3 echo server binary; the implementation comes from the
// adapter linked beside it (see echo_server.h).
#include "benchmarks/echo_server.h"

int main(int argc, char** argv) { return torsion::bench::echoServerMain(argc, argv); }
