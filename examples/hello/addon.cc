#include <napix.h>

#include <numeric>

double add(double a, double b) { return a + b; }

NAPIX_MODULE(NODE_GYP_MODULE_NAME, m) {
  m.def("add", add);                                    // add(1, 2) === 3
  m.def("greet", [](std::string name) { return "Hello, " + name; });
  m.def_async("sum", [](std::vector<double> v) {        // runs on the libuv pool
    return std::accumulate(v.begin(), v.end(), 0.0);    // sum([1, 2]) -> Promise<number>
  });
}
