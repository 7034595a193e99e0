# package.cmake - what `make install` and `make deb` put where (docs/install.md).
# Included by the top CMakeLists.txt after the soarctl target.
include(GNUInstallDirs)
# soarctl finds its files at BINDIR/../share/soarctl (runtime/base/sharedir.h).
if(NOT CMAKE_INSTALL_BINDIR STREQUAL "bin" OR NOT CMAKE_INSTALL_DATADIR STREQUAL "share")
  message(FATAL_ERROR "soarctl looks for its files in BINDIR/../share/soarctl: keep "
          "CMAKE_INSTALL_BINDIR=bin and CMAKE_INSTALL_DATADIR=share")
endif()

install(TARGETS soarctl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/lua ${CMAKE_SOURCE_DIR}/integrations
                  ${CMAKE_SOURCE_DIR}/playbooks
        DESTINATION ${CMAKE_INSTALL_DATADIR}/soarctl)

# Man pages and shell completions come from the binary itself (runtime/cli/cligen.c
# reads the command table and each command's help text), so they cannot drift.
set(SOAR_GEN ${CMAKE_BINARY_DIR}/gen)
add_custom_command(OUTPUT ${SOAR_GEN}/stamp
  COMMAND ${CMAKE_COMMAND} -E rm -rf ${SOAR_GEN}/man ${SOAR_GEN}/completions
  COMMAND ${CMAKE_COMMAND} -E make_directory ${SOAR_GEN}/man ${SOAR_GEN}/completions
  COMMAND $<TARGET_FILE:soarctl> help --man-dir ${SOAR_GEN}/man
  COMMAND sh -c "\"$0\" completion bash > \"$1/soarctl\" && \"$0\" completion zsh > \"$1/_soarctl\""
          $<TARGET_FILE:soarctl> ${SOAR_GEN}/completions
  COMMAND ${CMAKE_COMMAND} -E touch ${SOAR_GEN}/stamp
  DEPENDS soarctl
  COMMENT "soarctl: man pages and completions from the command table"
  VERBATIM)
add_custom_target(soarctl_docs ALL DEPENDS ${SOAR_GEN}/stamp)
install(DIRECTORY ${SOAR_GEN}/man/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${SOAR_GEN}/completions/soarctl
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)

# The zsh completion, the systemd unit and /etc/soarctl depend on the prefix the
# install runs with (cpack installs with /usr), so they are placed at install time.
install(CODE "set(SOAR_PKG_SRC \"${CMAKE_SOURCE_DIR}/tools/package\")
              set(SOAR_GEN \"${SOAR_GEN}\")")
install(SCRIPT ${CMAKE_SOURCE_DIR}/tools/package/install_service.cmake)

# make deb: cpack -G DEB from this build folder.
set(CPACK_PACKAGE_NAME soarctl)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "soarctl maintainers <soarctl@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "security orchestration: playbooks in sandboxed Lua, a small C core")
set(CPACK_PACKAGE_DESCRIPTION
    "soarctl runs security playbooks written in Lua in a sandbox, keeps cases, \
indicators and secrets in an LMDB store, and serves alerts, EDLs and prompts over HTTP.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_PREFIX /usr)
# Shipped stripped, as Debian does (no build paths in the binary).
set(CPACK_STRIP_FILES ON)
# Installs with DESTDIR so the absolute /etc/soarctl lands in the package.
set(CPACK_SET_DESTDIR ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# dpkg-shlibdeps sees the linked libraries; these are loaded with dlopen on first
# use (net/curl_lazy.c, net/mhd_lazy.c, base/idn.c, net/httpd_tls.c for TLS), so
# their packages are declared here, found from the sonames the code opens.
set(SOAR_DEB_DEPENDS)
foreach(soname libcurl.so.4 libmicrohttpd.so.12 libidn2.so.0 libgnutls.so.30)
  execute_process(COMMAND dpkg-query -S "*/${soname}" OUTPUT_VARIABLE owner
                  ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
  string(REGEX MATCH "^[^:,]+" pkg "${owner}")
  if(pkg)
    list(APPEND SOAR_DEB_DEPENDS ${pkg})
  endif()
endforeach()
list(APPEND SOAR_DEB_DEPENDS passwd)
list(JOIN SOAR_DEB_DEPENDS ", " CPACK_DEBIAN_PACKAGE_DEPENDS)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_SOURCE_DIR}/tools/package/postinst
    ${CMAKE_SOURCE_DIR}/tools/package/prerm
    ${CMAKE_SOURCE_DIR}/tools/package/postrm
    ${CMAKE_SOURCE_DIR}/tools/package/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_GENERATOR DEB)
include(CPack)
