// napix — safe, fast Node-API for native addons: call JavaScript from any thread, settle promises
// from anywhere, run C++ work on the libuv pool. This umbrella header only includes the others;
// include one header per concept instead if you prefer.
#pragma once

#include "napix/config.h"
#include "napix/error.h"
#include "napix/convert.h"
#include "napix/channel.h"
#include "napix/threadsafe_callback.h"
#include "napix/typed_threadsafe_callback.h"
#include "napix/promise.h"
#include "napix/task.h"
#include "napix/stream.h"
#include "napix/persistent.h"
#include "napix/bytes.h"
#include "napix/cancel.h"
#include "napix/function.h"
