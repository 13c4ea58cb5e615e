// With odr_b.cpp: two translation units that include everything and are linked into one module.
// A non-template function defined in a header without `inline` makes that link fail.
#include <napix.h>

const char* napix_odr_a() { return napix::to_string(napix::Status::ok); }
