# Third-party libraries, each behind one target the project links:
#   multus_deps_json     nlohmann/json (header-only)
#   multus_deps_fmt      fmt, header-only (no libfmt.so at run time)
#   multus_deps_logging  spdlog on that fmt, header-only (no libspdlog.so at run time)
#   multus_deps_yaml     yaml-cpp (static archive)
#   multus_deps_http     libcurl + OpenSSL + nghttp2 + c-ares + zlib
#   multus_deps_zlib     zlib (the log file's gzip rotation), static with MULTUS_STATIC
# With MULTUS_STATIC=ON libcurl and OpenSSL are minimal static builds of Debian's source
# packages (scripts/build-static-{openssl,curl}.sh, cached under the build tree); otherwise
# the system's shared libcurl and OpenSSL.

find_package(Threads REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_path(SPDLOG_INCLUDE spdlog/spdlog.h REQUIRED)
find_path(FMT_INCLUDE fmt/format.h REQUIRED)
find_library(YAML_CPP_STATIC NAMES libyaml-cpp.a REQUIRED)
find_path(YAML_CPP_INCLUDE yaml-cpp/yaml.h REQUIRED)

add_library(multus_deps_json INTERFACE)
target_link_libraries(multus_deps_json INTERFACE nlohmann_json::nlohmann_json)

# Every file that includes fmt sees FMT_HEADER_ONLY, so all of them agree on its inline code.
add_library(multus_deps_fmt INTERFACE)
target_include_directories(multus_deps_fmt SYSTEM INTERFACE ${FMT_INCLUDE})
target_compile_definitions(multus_deps_fmt INTERFACE FMT_HEADER_ONLY=1)

add_library(multus_deps_logging INTERFACE)
target_include_directories(multus_deps_logging SYSTEM INTERFACE ${SPDLOG_INCLUDE})
# No default logger of spdlog's own: it would write to stdout, which carries the CNI result,
# and building it costs every process a colour sink and a terminal check. log.cc installs
# ours before main() runs.
target_compile_definitions(multus_deps_logging INTERFACE SPDLOG_FMT_EXTERNAL
                           SPDLOG_DISABLE_DEFAULT_LOGGER)
target_link_libraries(multus_deps_logging INTERFACE multus_deps_fmt Threads::Threads)

add_library(multus_deps_yaml INTERFACE)
target_include_directories(multus_deps_yaml SYSTEM INTERFACE ${YAML_CPP_INCLUDE})
target_link_libraries(multus_deps_yaml INTERFACE ${YAML_CPP_STATIC})

# Builds <name> with scripts/build-static-<name>.sh <work> <prefix> <args...> into
# build/_deps/<name>/prefix, once per build tree: again only when that script, one named in
# INPUTS, or the KEY text changes (the downloaded source is kept, so a rebuild works offline).
# Sets <NAME>_PREFIX and <NAME>_VERSION (Debian's version) in the caller.
function(multus_static_from_debian name)
  cmake_parse_arguments(arg "" "KEY" "ARGS;INPUTS" ${ARGN})
  set(work ${CMAKE_BINARY_DIR}/_deps/${name})
  set(prefix ${work}/prefix)
  set(recipe "${arg_KEY}\n")
  foreach(script ${CMAKE_SOURCE_DIR}/scripts/build-static-${name}.sh
                 ${CMAKE_SOURCE_DIR}/scripts/debian-source.sh ${arg_INPUTS})
    file(SHA256 ${script} script_hash)
    string(APPEND recipe "${script_hash}\n")
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${script})
  endforeach()
  set(stamp ${prefix}/RECIPE)
  set(built "")
  if(EXISTS ${stamp})
    file(READ ${stamp} built)
  endif()
  if(NOT EXISTS ${prefix}/DEBIAN_VERSION OR NOT built STREQUAL recipe)
    message(STATUS "Building the static ${name} from Debian's source (once per build tree)")
    execute_process(
      COMMAND ${CMAKE_SOURCE_DIR}/scripts/build-static-${name}.sh ${work} ${prefix} ${arg_ARGS}
      RESULT_VARIABLE result)
    if(NOT result EQUAL 0)
      message(FATAL_ERROR "the static ${name} build failed (see ${work})")
    endif()
    file(WRITE ${stamp} ${recipe})
  endif()
  file(READ ${prefix}/DEBIAN_VERSION version)
  string(STRIP "${version}" version)
  message(STATUS "${name}: static, Debian ${version}")
  string(TOUPPER ${name} upper)
  set(${upper}_PREFIX ${prefix} PARENT_SCOPE)
  set(${upper}_VERSION ${version} PARENT_SCOPE)
endfunction()

add_library(multus_deps_http INTERFACE)
if(MULTUS_STATIC)
  multus_static_from_debian(openssl)
  # libcurl is rebuilt with the OpenSSL it links.
  multus_static_from_debian(curl ARGS ${OPENSSL_PREFIX} KEY "openssl ${OPENSSL_VERSION}"
                            INPUTS ${CMAKE_SOURCE_DIR}/scripts/build-static-openssl.sh)
  foreach(lib nghttp2 cares z)
    find_library(MULTUS_STATIC_${lib} NAMES lib${lib}.a REQUIRED)
  endforeach()
  target_include_directories(multus_deps_http SYSTEM INTERFACE ${CURL_PREFIX}/include
                             ${OPENSSL_PREFIX}/include)
  target_compile_definitions(multus_deps_http INTERFACE CURL_STATICLIB)
  target_link_libraries(multus_deps_http INTERFACE
    ${CURL_PREFIX}/lib/libcurl.a ${MULTUS_STATIC_nghttp2} ${MULTUS_STATIC_cares}
    ${OPENSSL_PREFIX}/lib/libssl.a ${OPENSSL_PREFIX}/lib/libcrypto.a ${MULTUS_STATIC_z}
    Threads::Threads)
else()
  find_package(CURL REQUIRED)
  find_package(OpenSSL REQUIRED)
  target_link_libraries(multus_deps_http INTERFACE CURL::libcurl OpenSSL::SSL)
endif()

# The core gzips rotated log files itself: it links zlib directly, not through libcurl (a
# dynamic libcurl pulls libz.so only into its own dependencies, and the link then fails).
add_library(multus_deps_zlib INTERFACE)
if(MULTUS_STATIC)
  target_link_libraries(multus_deps_zlib INTERFACE ${MULTUS_STATIC_z})
else()
  find_package(ZLIB REQUIRED)
  target_link_libraries(multus_deps_zlib INTERFACE ZLIB::ZLIB)
endif()

# A binary that runs on the node (or is copied there): fully static with MULTUS_STATIC, so it
# needs nothing from the host but the kernel.
function(multus_host_executable target)
  if(MULTUS_STATIC)
    target_link_options(${target} PRIVATE -static)
  endif()
  multus_code_layout(${target})
endfunction()
