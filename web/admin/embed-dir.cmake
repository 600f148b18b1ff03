# Script mode: embeds every file of DIR (the admin UI's build output, whose names carry content hashes and so are
# not known when CMake configures) through cmake/EmbedScript.cmake. Arguments: DIR, OUT, NS, EMBED_SCRIPT.
file(GLOB FILES LIST_DIRECTORIES false ${DIR}/*)
list(SORT FILES)
include(${EMBED_SCRIPT})
