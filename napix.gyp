# napix for node-gyp consumers. One dependency line gives napix's include path and, through
# node-addon-api's own targets, the matching exception mode:
#   'dependencies': ["<!(node -p \"require('napix').gyp\"):napix_except"]   # C++ exceptions on
#   'dependencies': ["<!(node -p \"require('napix').gyp\"):napix"]          # C++ exceptions off
# node-addon-api resolves from the addon being built first (node-gyp's module_root_dir), then from
# beside napix: with `npm link` or pnpm, napix's real folder has no node-addon-api next to it.
{
  'targets': [
    {
      'target_name': 'napix',
      'type': 'none',
      'dependencies': ["<!(node -p \"require(require.resolve('node-addon-api', {paths: ['<(module_root_dir)', process.cwd()]})).targets\"):node_addon_api"],
      'export_dependent_settings': ["<!(node -p \"require(require.resolve('node-addon-api', {paths: ['<(module_root_dir)', process.cwd()]})).targets\"):node_addon_api"],
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
      'dependencies': ["<!(node -p \"require(require.resolve('node-addon-api', {paths: ['<(module_root_dir)', process.cwd()]})).targets\"):node_addon_api_except"],
      'export_dependent_settings': ["<!(node -p \"require(require.resolve('node-addon-api', {paths: ['<(module_root_dir)', process.cwd()]})).targets\"):node_addon_api_except"],
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
