# Packaging: `cmake --install` puts multus, multus-install, the docs and the manifests in place;
# `cpack -G DEB` (run in the build directory) makes a Debian package of the same files.
# The package only installs files; it does not touch /opt/cni/bin or /etc/cni/net.d. To set
# up a node without the DaemonSet: multus-install --oneshot --multus-bin-file=/usr/bin/multus
# --cni-bin-dir=/opt/cni/bin --cni-conf-dir=/etc/cni/net.d ... (see docs/configuration.md).
#
# With MULTUS_STATIC (the release build) both executables are static, so the package has no
# run-time Depends at all.

set(MULTUS_PACKAGE_MAINTAINER
    "Multus in C++ maintainers <maintainers@users.noreply.h-seed-ecede431.example>"
    CACHE STRING "Maintainer field of the .deb")

set(MULTUS_DOC_DIR share/doc/multus-cpp)
install(FILES ${CMAKE_SOURCE_DIR}/packaging/copyright DESTINATION ${MULTUS_DOC_DIR})
# Debian wants the changelog compressed, reproducibly (-n: no name or time stamp).
set(MULTUS_CHANGELOG_GZ ${CMAKE_BINARY_DIR}/packaging/changelog.Debian.gz)
add_custom_command(OUTPUT ${MULTUS_CHANGELOG_GZ}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/packaging
  COMMAND gzip -9n -c ${CMAKE_SOURCE_DIR}/packaging/changelog > ${MULTUS_CHANGELOG_GZ}
  DEPENDS ${CMAKE_SOURCE_DIR}/packaging/changelog VERBATIM)
add_custom_target(multus_changelog ALL DEPENDS ${MULTUS_CHANGELOG_GZ})
install(FILES ${MULTUS_CHANGELOG_GZ} DESTINATION ${MULTUS_DOC_DIR})
install(FILES ${CMAKE_SOURCE_DIR}/packaging/lintian-overrides
        DESTINATION share/lintian/overrides RENAME multus-cpp)

set(CPACK_PACKAGE_NAME "multus-cpp")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_VENDOR "Multus in C++")
set(CPACK_PACKAGE_CONTACT "${MULTUS_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${MULTUS_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Multus CNI meta-plugin (thin) in C++ for Kubernetes pods")
set(CPACK_PACKAGE_DESCRIPTION
    "Multus CNI meta-plugin in C++: several networks per Kubernetes pod.\n\
A drop-in replacement for the multus-cni thin plugin (the multus binary)\n\
and its node installer (multus-install), with the DaemonSet manifests and\n\
operator docs. Both programs are static executables that need only the\n\
Linux kernel.")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_STRIP_FILES ON)
set(CPACK_GENERATOR "DEB")

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)  # 0.1.0-1: a packaging revision, as packaging/changelog
set(CPACK_DEBIAN_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/k8snetworkplumbingwg/multus-cni")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "containernetworking-plugins")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
if(MULTUS_STATIC)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS OFF)  # nothing to depend on
else()
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
endif()

include(CPack)
