// napix/detail/visibility.h — NAPIX_LOCAL: keeps one of napix's process-wide objects (a registry,
// a pool, a thread's spin budget, a function table) private to the addon that compiled it.
//
// Why: GCC gives the statics of inline functions and the static data members of templates
// STB_GNU_UNIQUE binding when their visibility is default, and the dynamic linker then makes every
// loaded object use ONE copy, even objects loaded RTLD_LOCAL as Node loads addons. Two addons built
// with different napix versions would share napix's state across incompatible layouts (a crash),
// and such a symbol also keeps an addon from being unloaded. Hidden, each addon has its own copy.
// (doc/design.md, "Two addons in one process"; test/module_pin.test.js checks the test addon.)
#pragma once

#if (defined(__GNUC__) || defined(__clang__)) && !defined(_WIN32) && !defined(__CYGWIN__)
#define NAPIX_LOCAL __attribute__((visibility("hidden")))
#else
#define NAPIX_LOCAL
#endif
