{
  'targets': [
    {
      'target_name': 'addon',
      'sources': ['addon.cc'],
      # napix with C++ exceptions on; this one line also brings node-addon-api and -std=c++17.
      'dependencies': ["<!(node -p \"require('napix').gyp\"):napix_except"],
      # node-addon-api otherwise aborts the process if a call into JS fails during teardown.
      'defines': ['NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS'],
      'cflags_cc': ['-Wall', '-Wextra'],
    },
  ],
}
