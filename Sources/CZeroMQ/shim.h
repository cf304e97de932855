#ifndef FEDSIM_CZEROMQ_SHIM_H
#define FEDSIM_CZEROMQ_SHIM_H

#include <zmq.h>

#endif
