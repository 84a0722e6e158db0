# Third-party libraries, each behind one target the project links:
#   multus_deps_json     nlohmann/json (header-only)
#   multus_deps_fmt      fmt, header-only (no libfmt.so at run time)
#   multus_deps_logging  spdlog on that fmt, header-only (no libspdlog.so at run time)
#   multus_deps_yaml     yaml-cpp (static archive)
#   multus_deps_http     libcurl + OpenSSL + nghttp2 + c-ares + zlib
#   multus_deps_zlib     zlib (the log file's gzip rotation), static with MULTUS_STATIC
# With MULTUS_STATIC=ON libcurl is the minimal static build of Debian's source package
# (scripts/build-static-curl.sh, cached under the build tree); otherwise the system's libcurl.

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
target_compile_definitions(multus_deps_logging INTERFACE SPDLOG_FMT_EXTERNAL)
target_link_libraries(multus_deps_logging INTERFACE multus_deps_fmt Threads::Threads)

add_library(multus_deps_yaml INTERFACE)
target_include_directories(multus_deps_yaml SYSTEM INTERFACE ${YAML_CPP_INCLUDE})
target_link_libraries(multus_deps_yaml INTERFACE ${YAML_CPP_STATIC})

add_library(multus_deps_http INTERFACE)
if(MULTUS_STATIC)
  set(MULTUS_CURL_PREFIX ${CMAKE_BINARY_DIR}/_deps/curl/prefix)
  # Rebuilt when the recipe changes; the downloaded source is kept, so this works offline.
  file(SHA256 ${CMAKE_SOURCE_DIR}/scripts/build-static-curl.sh curl_recipe_hash)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
               ${CMAKE_SOURCE_DIR}/scripts/build-static-curl.sh)
  set(curl_stamp ${MULTUS_CURL_PREFIX}/RECIPE_SHA256)
  set(curl_built_hash "")
  if(EXISTS ${curl_stamp})
    file(READ ${curl_stamp} curl_built_hash)
  endif()
  if(NOT EXISTS ${MULTUS_CURL_PREFIX}/lib/libcurl.a OR NOT curl_built_hash STREQUAL curl_recipe_hash)
    message(STATUS "Building the static libcurl from Debian's source (once per build tree)")
    execute_process(
      COMMAND ${CMAKE_SOURCE_DIR}/scripts/build-static-curl.sh
              ${CMAKE_BINARY_DIR}/_deps/curl ${MULTUS_CURL_PREFIX}
      RESULT_VARIABLE curl_build_result)
    if(NOT curl_build_result EQUAL 0)
      message(FATAL_ERROR "the static libcurl build failed (see ${CMAKE_BINARY_DIR}/_deps/curl)")
    endif()
    file(WRITE ${curl_stamp} ${curl_recipe_hash})
  endif()
  file(READ ${MULTUS_CURL_PREFIX}/DEBIAN_VERSION MULTUS_CURL_VERSION)
  string(STRIP "${MULTUS_CURL_VERSION}" MULTUS_CURL_VERSION)
  message(STATUS "libcurl: static, Debian ${MULTUS_CURL_VERSION}")
  foreach(lib nghttp2 cares ssl crypto z)
    find_library(MULTUS_STATIC_${lib} NAMES lib${lib}.a REQUIRED)
  endforeach()
  target_include_directories(multus_deps_http SYSTEM INTERFACE ${MULTUS_CURL_PREFIX}/include)
  target_compile_definitions(multus_deps_http INTERFACE CURL_STATICLIB)
  target_link_libraries(multus_deps_http INTERFACE
    ${MULTUS_CURL_PREFIX}/lib/libcurl.a ${MULTUS_STATIC_nghttp2} ${MULTUS_STATIC_cares}
    ${MULTUS_STATIC_ssl} ${MULTUS_STATIC_crypto} ${MULTUS_STATIC_z} Threads::Threads)
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
endfunction()
