# napix for node-gyp consumers. One dependency line gives napix's include path and, through
# node-addon-api's own targets, the matching exception mode:
#   'dependencies': ["<!(node -p \"require('napix').gyp\"):napix_except"]   # C++ exceptions on
#   'dependencies': ["<!(node -p \"require('napix').gyp\"):napix"]          # C++ exceptions off
# Command expansions run in this file's folder, so node-addon-api resolves from beside napix.
{
  'targets': [
    {
      'target_name': 'napix',
      'type': 'none',
      'dependencies': ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api"],
      'export_dependent_settings': ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api"],
      'direct_dependent_settings': {
        'include_dirs': ['include'],
        'cflags_cc': ['-std=c++17'],
        'xcode_settings': {'CLANG_CXX_LANGUAGE_STANDARD': 'c++17'},
        'msvs_settings': {'VCCLCompilerTool': {'AdditionalOptions': ['/std:c++17']}},
        'conditions': [["OS=='linux'", {'libraries': ['-ldl']}]],
      },
    },
    {
      'target_name': 'napix_except',
      'type': 'none',
      'dependencies': ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      'export_dependent_settings': ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      'direct_dependent_settings': {
        'include_dirs': ['include'],
        'cflags_cc': ['-std=c++17'],
        'xcode_settings': {'CLANG_CXX_LANGUAGE_STANDARD': 'c++17'},
        'msvs_settings': {'VCCLCompilerTool': {'AdditionalOptions': ['/std:c++17']}},
        'conditions': [["OS=='linux'", {'libraries': ['-ldl']}]],
      },
    },
  ],
}
