# Code layout of the static node binaries (MULTUS_STATIC).
#
# The kernel maps the pages of a file-backed executable 64 KiB at a time around each page
# fault ("fault-around"), and every page so mapped counts in the process' RSS. A multus call
# runs about 1 MB of code (3 MB with TLS); scattered over 6 MB of text, it kept 3-6 MB of
# the binary resident. So:
#  - every function gets its own section (-ffunction-sections; libstdc++ and glibc are built
#    so, the static libcurl by scripts/build-static-curl.sh, OpenSSL has one per object);
#  - lld lays out first, in order, the functions one multus call runs
#    (cmake/hot-functions.order, written by bench/hot_order.py from callgrind runs of ADD
#    and DEL with and without the apiserver), so one call touches few 64 KiB windows;
#  - --gc-sections drops the sections nothing references.
# A stale order file (a renamed function) costs memory, never correctness: names it does not
# find are skipped. bench/run.sh reports the peak RSS this is for.

set(MULTUS_HOT_ORDER ${CMAKE_SOURCE_DIR}/cmake/hot-functions.order)

if(MULTUS_STATIC)
  find_program(MULTUS_LLD NAMES ld.lld)
  if(NOT MULTUS_LLD)
    message(FATAL_ERROR "ld.lld not found: run scripts/install-deps.sh (Debian package lld)")
  endif()
  add_compile_options(-ffunction-sections -fdata-sections)
endif()

function(multus_code_layout target)
  if(NOT MULTUS_STATIC)
    return()
  endif()
  target_link_options(${target} PRIVATE -fuse-ld=lld LINKER:--gc-sections
                      LINKER:--symbol-ordering-file=${MULTUS_HOT_ORDER}
                      LINKER:--no-warn-symbol-ordering)
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS ${MULTUS_HOT_ORDER})
endfunction()
