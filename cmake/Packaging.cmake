# Packaging: `cmake --install` puts multus, multus-install, the docs and the manifests in place;
# `cpack -G DEB` (run in the build directory) makes a Debian package of the same files.
# The package only installs files; it does not touch /opt/cni/bin or /etc/cni/net.d. To set
# up a node without the DaemonSet: multus-install --oneshot --multus-bin-file=/usr/bin/multus
# --cni-bin-dir=/opt/cni/bin --cni-conf-dir=/etc/cni/net.d ... (see docs/configuration.md).

set(CPACK_PACKAGE_NAME "multus-cpp")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_VENDOR "Multus in C++")
set(CPACK_PACKAGE_CONTACT "Multus in C++ maintainers <multus-cpp@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Multus CNI meta-plugin (thin) in C++: attaches several networks to Kubernetes pods")
set(CPACK_PACKAGE_DESCRIPTION
    "A drop-in replacement for the multus-cni thin plugin (the multus binary) and its\n\
node installer (multus-install), with the DaemonSet manifests and operator docs.")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_STRIP_FILES ON)
set(CPACK_GENERATOR "DEB")

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/k8snetworkplumbingwg/multus-cni")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "containernetworking-plugins")
find_program(MULTUS_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(MULTUS_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
else()
  set(CPACK_DEBIAN_PACKAGE_DEPENDS
      "libc6 (>= 2.34), libstdc++6 (>= 12), libspdlog1.10, libfmt9, libyaml-cpp0.7, libmnl0, zlib1g")
endif()

include(CPack)
