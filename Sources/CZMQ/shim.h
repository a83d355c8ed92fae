// ZeroMQ, for the Jupyter kernel's five sockets (Debian: libzmq3-dev).
#include <zmq.h>
