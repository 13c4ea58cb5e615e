# The test addon, built twice from one source list: C++ exceptions on and off. Every mocha spec
# runs against both (scripts/test.js sets NAPIX_TEST_VARIANT).
{
  'variables': {
    'napix_test_sources': [
      'test/binding.cc',
      'test/error.cc',
      'test/convert.cc',
      'test/doc_snippets.cc',
      'test/doc_guides.cc',
      'test/channel.cc',
      'test/threadsafe_callback.cc',
      'test/promise.cc',
      'test/task.cc',
      'test/stress.cc',
      'test/delivery.cc',
      'test/stream.cc',
      'test/completions.cc',
      'test/persistent.cc',
      'test/bytes.cc',
      'test/cancel.cc',
      'test/reader.cc',
      'test/function.cc',
    ],
  },
  'target_defaults': {
    'sources': ['<@(napix_test_sources)'],
    'defines': [
      'NAPI_VERSION=8',
      # Without it node-addon-api aborts when a call fails during Worker teardown
      # (doc/design.md, behaviour 14).
      'NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS',
    ],
    # node's common.gypi adds -Wno-unused-parameter; napix headers must be clean without it.
    'cflags_cc': ['-Wall', '-Wextra', '-Wunused-parameter', '-Werror'],
  },
  'targets': [
    {
      'target_name': 'napix_test_except',
      'dependencies': ['napix.gyp:napix_except'],
    },
    {
      'target_name': 'napix_test_noexcept',
      'dependencies': ['napix.gyp:napix'],
    },
    {
      # Loaded only inside a Worker by test/module_pin.test.js; see test/unload.cc.
      'target_name': 'napix_test_unload',
      'sources!': ['<@(napix_test_sources)'],
      'sources': ['test/unload.cc'],
      'dependencies': ['napix.gyp:napix_except'],
      'cflags_cc': ['-fno-gnu-unique'],
    },
  ],
}
