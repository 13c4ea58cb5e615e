// See odr_a.cpp.
#include <napix.h>

const char* napix_odr_b() { return napix::to_string(napix::Status::closing); }
