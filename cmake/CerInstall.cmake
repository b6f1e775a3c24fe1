# What `make install` / `cmake --install BUILD [--prefix P]` puts where, and the
# `cerelay_dist` target that builds all of it. Paths are relative to the install prefix and
# decided at install time, so one build tree installs under any prefix (and DESTDIR): the
# program, the static libraries with their headers and pkg-config files (relocatable: they
# find the prefix from their own place, ${pcfiledir}), man pages generated from the --help
# texts and docs/config.md (scripts/mkman.sh), the systemd unit, shell completions, the
# configuration (/etc/cerelay when the prefix is /usr, PREFIX/etc otherwise) and the docs.

set(CER_PUBLIC_LIBS cerelay_ce cerelay_base cerelay_log cerelay_sink cerelay_emitter cerelay_catalog)
set(CER_PUBLIC_HEADERS ce.h ce_binding.h ce_sql.h err.h log.h emitter.h catalog.h)

# Man pages, regenerated when the program (its --help texts) or docs/config.md change.
set(CER_MAN_DIR ${CMAKE_BINARY_DIR}/man)
add_custom_command(
  OUTPUT ${CER_MAN_DIR}/man1/cerelay.1 ${CER_MAN_DIR}/man5/cerelay.yaml.5
  COMMAND ${CMAKE_COMMAND} -E rm -rf ${CER_MAN_DIR}
  COMMAND bash ${CER_ROOT}/scripts/mkman.sh $<TARGET_FILE:cerelay> ${CER_MAN_DIR} ${CER_ROOT}
  DEPENDS cerelay ${CER_ROOT}/scripts/mkman.sh ${CER_ROOT}/docs/config.md
  COMMENT "man pages from the --help texts and docs/config.md"
  VERBATIM)
add_custom_target(cerelay_man ALL DEPENDS ${CER_MAN_DIR}/man1/cerelay.1
                                          ${CER_MAN_DIR}/man5/cerelay.yaml.5)
add_custom_target(cerelay_dist DEPENDS cerelay ${CER_PUBLIC_LIBS} cerelay_man)

# pkg-config files: prefix found relative to the .pc file (lib/pkgconfig -> ../..).
set(CER_PC_VERSION ${PROJECT_VERSION})
configure_file(${CER_ROOT}/packaging/pkgconfig/cerelay-ce.pc.in
               ${CMAKE_BINARY_DIR}/pkgconfig/cerelay-ce.pc @ONLY)
configure_file(${CER_ROOT}/packaging/pkgconfig/cerelay.pc.in
               ${CMAKE_BINARY_DIR}/pkgconfig/cerelay.pc @ONLY)

install(TARGETS cerelay RUNTIME DESTINATION bin)
install(TARGETS ${CER_PUBLIC_LIBS} ARCHIVE DESTINATION lib)
foreach(h ${CER_PUBLIC_HEADERS})
  install(FILES ${CER_ROOT}/include/cerelay/${h} DESTINATION include/cerelay)
endforeach()
install(FILES ${CMAKE_BINARY_DIR}/pkgconfig/cerelay-ce.pc ${CMAKE_BINARY_DIR}/pkgconfig/cerelay.pc
        DESTINATION lib/pkgconfig)
install(DIRECTORY ${CER_MAN_DIR}/ DESTINATION share/man)
install(FILES ${CER_ROOT}/packaging/completions/cerelay.bash
        DESTINATION share/bash-completion/completions RENAME cerelay)
install(FILES ${CER_ROOT}/packaging/completions/_cerelay DESTINATION share/zsh/vendor-completions)
install(FILES ${CER_ROOT}/README.md ${CER_ROOT}/docs/config.md ${CER_ROOT}/docs/relay.md
        DESTINATION share/doc/cerelay)
install(FILES ${CER_ROOT}/examples/cerelay.yaml ${CER_ROOT}/examples/usage-event.json
              ${CER_ROOT}/examples/batch.json ${CER_ROOT}/examples/events.ndjson
              ${CER_ROOT}/examples/emit_usage.c
        DESTINATION share/doc/cerelay/examples)
# The unit and the configuration depend on the prefix given at install time (file(INSTALL)
# adds DESTDIR itself).
install(CODE "
  set(_p \"\${CMAKE_INSTALL_PREFIX}\")
  if(_p STREQUAL \"/usr\")
    set(CER_SYSCONFDIR /etc)
  else()
    set(CER_SYSCONFDIR \"\${_p}/etc\")
  endif()
  set(CER_BINDIR \"\${_p}/bin\")
  configure_file(\"${CER_ROOT}/packaging/systemd/cerelay.service.in\"
                 \"${CMAKE_BINARY_DIR}/packaging/cerelay.service\" @ONLY)
  file(INSTALL \"${CMAKE_BINARY_DIR}/packaging/cerelay.service\"
       DESTINATION \"\${_p}/lib/systemd/system\")
  file(INSTALL \"${CER_ROOT}/packaging/cerelay.yaml\"
       DESTINATION \"\${CER_SYSCONFDIR}/cerelay\")
")
