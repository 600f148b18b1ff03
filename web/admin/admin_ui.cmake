# The embedded admin UI: web/admin/build.mjs bundles the TypeScript sources with esbuild (from node_modules, installed by
# scripts/install-deps) into content-hashed files, and embed-dir.cmake compiles every file of that output into
# pagelift_api as pagelift::api::admin_ui_files::kFiles (served by src/api/admin_ui.cpp). Included from
# src/api/CMakeLists.txt, so the generated source belongs to the directory of the target that compiles it.
# esbuild only strips types, so `tsc --noEmit` (TypeScript pinned in package.json) type-checks the sources first: a type
# error fails the build, and so `make test`.
find_program(PAGELIFT_NODE node REQUIRED)
set(ADMIN_UI_DIR ${PROJECT_SOURCE_DIR}/web/admin)
file(GLOB_RECURSE ADMIN_UI_SOURCES CONFIGURE_DEPENDS ${ADMIN_UI_DIR}/src/*)
set(ADMIN_UI_DIST ${CMAKE_CURRENT_BINARY_DIR}/admin-ui)
set(ADMIN_UI_EMBEDDED ${CMAKE_CURRENT_BINARY_DIR}/embedded_admin_ui.cpp)
add_custom_command(
  OUTPUT ${ADMIN_UI_EMBEDDED}
  COMMAND ${PAGELIFT_NODE} ${PROJECT_SOURCE_DIR}/node_modules/typescript/bin/tsc --noEmit -p ${ADMIN_UI_DIR}
  COMMAND ${PAGELIFT_NODE} ${ADMIN_UI_DIR}/build.mjs ${ADMIN_UI_DIST}
  COMMAND ${CMAKE_COMMAND} -DDIR=${ADMIN_UI_DIST} -DOUT=${ADMIN_UI_EMBEDDED} -DNS=pagelift::api::admin_ui_files
          -DEMBED_SCRIPT=${PAGELIFT_EMBED_SCRIPT} -P ${ADMIN_UI_DIR}/embed-dir.cmake
  DEPENDS ${ADMIN_UI_SOURCES} ${ADMIN_UI_DIR}/build.mjs ${ADMIN_UI_DIR}/index.html ${ADMIN_UI_DIR}/embed-dir.cmake
          ${ADMIN_UI_DIR}/tsconfig.json
          ${PROJECT_SOURCE_DIR}/package-lock.json ${PAGELIFT_EMBED_SCRIPT}
  WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
  COMMENT "Type-checking (tsc), building (esbuild) and embedding the admin UI"
  VERBATIM)
target_sources(pagelift_api PRIVATE ${ADMIN_UI_EMBEDDED})
