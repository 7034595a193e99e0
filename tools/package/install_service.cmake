# install_service.cmake - run by `cmake --install` (and cpack): the parts whose
# place depends on the prefix the install runs with. /usr (the package) gets
# /etc/soarctl and Debian's zsh folder; any other prefix keeps all under it.
set(prefix "${CMAKE_INSTALL_PREFIX}")
if(prefix STREQUAL "/usr")
  set(etc /etc)
  set(zsh_dir ${prefix}/share/zsh/vendor-completions)
else()
  set(etc ${prefix}/etc)
  set(zsh_dir ${prefix}/share/zsh/site-functions)
endif()
set(SOARCTL_BIN ${prefix}/bin/soarctl)
set(SOARCTL_ETC ${etc}/soarctl)
configure_file(${SOAR_PKG_SRC}/soarctl.service.in ${SOAR_GEN}/soarctl.service @ONLY)
configure_file(${SOAR_PKG_SRC}/soarctl.env.in ${SOAR_GEN}/soarctl.env @ONLY)
file(INSTALL ${SOAR_GEN}/completions/_soarctl DESTINATION ${zsh_dir})
file(INSTALL ${SOAR_GEN}/soarctl.service DESTINATION ${prefix}/lib/systemd/system)
file(INSTALL ${SOAR_GEN}/soarctl.env DESTINATION ${SOARCTL_ETC})
file(MAKE_DIRECTORY $ENV{DESTDIR}${SOARCTL_ETC}/playbooks)
