# The benchmark addon (`npm run bench` builds it here, in bench/build/, with scripts/bench.js).
# C++ exceptions on; napix headers straight from ../include; node-gyp's default Release flags.
{
  'targets': [
    {
      'target_name': 'napix_bench',
      'sources': ['bench.cc', 'promise.cc', 'task.cc', 'xthread.cc', 'function.cc', 'stream.cc',
                  'reader.cc'],
      'dependencies': ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      'include_dirs': ['../include'],
      'defines': [
        'NAPI_VERSION=8',
        'NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS',
      ],
      'cflags_cc': ['-std=c++17', '-fvisibility=hidden'],
      'xcode_settings': {'CLANG_CXX_LANGUAGE_STANDARD': 'c++17'},
      'msvs_settings': {'VCCLCompilerTool': {'AdditionalOptions': ['/std:c++17']}},
      'conditions': [["OS=='linux'", {'libraries': ['-ldl', '-lpthread']}]],
    },
  ],
}
