# napix for node-gyp consumers. One dependency line gives napix's include path and, through
# node-addon-api's own targets, the matching exception mode:
#   'dependencies': ["<!(node -p \"require('napix').gyp\"):napix_except"]   # C++ exceptions on
#   'dependencies': ["<!(node -p \"require('napix').gyp\"):napix"]          # C++ exceptions off
# napix_except also defines NODE_ADDON_API_CPP_EXCEPTIONS_ALL (node-addon-api 8.3+): every C++
# exception escaping an addon function reaches JS as an Error, so napix's documented
# std::logic_error for a misuse is catchable instead of std::terminate (doc/error.md).
# node-addon-api (a peer dependency) resolves from the addon being built first (node-gyp's
# module_root_dir), then, as before, from beside napix: command expansions run in this file's real
# folder, which with `npm link` or pnpm has no node-addon-api above it. The addon's folder is passed
# as an argument, not spliced into the script, so Windows backslashes stay intact.
{
  'variables': {
    'variables': {'module_root_dir%': ''},  # node-gyp always sets it; empty: beside napix only
    'napix_node_addon_api_gyp': "<!(node -p \"var r;try{r=require.resolve('node-addon-api',{paths:[process.argv[1]||'.']})}catch(e){r=require.resolve('node-addon-api')}require(r).targets\" \"<(module_root_dir)\")",
  },
  'targets': [
    {
      'target_name': 'napix',
      'type': 'none',
      'dependencies': ['<(napix_node_addon_api_gyp):node_addon_api'],
      'export_dependent_settings': ['<(napix_node_addon_api_gyp):node_addon_api'],
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
      'dependencies': ['<(napix_node_addon_api_gyp):node_addon_api_except'],
      'export_dependent_settings': ['<(napix_node_addon_api_gyp):node_addon_api_except'],
      'direct_dependent_settings': {
        # node-addon-api's own node_addon_api_except_all target sets it too, but only exists
        # from 8.3; the define works with every 8.x (older ones ignore it).
        'defines': ['NODE_ADDON_API_CPP_EXCEPTIONS_ALL'],
        'include_dirs': ['include'],
        'cflags_cc': ['-std=c++17'],
        'xcode_settings': {'CLANG_CXX_LANGUAGE_STANDARD': 'c++17'},
        'msvs_settings': {'VCCLCompilerTool': {'AdditionalOptions': ['/std:c++17']}},
        'conditions': [["OS=='linux'", {'libraries': ['-ldl']}]],
      },
    },
  ],
}
