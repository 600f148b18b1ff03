# pagelift_embed(<target> <namespace> <files...>): compiles the files' bytes into <target> as
#   namespace::kFiles, a std::span<const pagelift::EmbeddedFile> sorted by name (the file's base name).
# Regenerated whenever one of the files changes.
set(PAGELIFT_EMBED_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/EmbedScript.cmake)
function(pagelift_embed target ns)
  set(files ${ARGN})
  list(SORT files)
  string(REPLACE "::" "_" file_stem "${ns}")
  set(out ${CMAKE_CURRENT_BINARY_DIR}/embedded_${file_stem}.cpp)
  string(REPLACE ";" "|" files_arg "${files}")
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DNS=${ns} "-DFILES=${files_arg}" -P ${PAGELIFT_EMBED_SCRIPT}
    DEPENDS ${files} ${PAGELIFT_EMBED_SCRIPT}
    COMMENT "Embedding ${ns}"
    VERBATIM)
  target_sources(${target} PRIVATE ${out})
endfunction()
