# Source and test files are listed by name in their directory's CMakeLists.txt, never globbed:
# adding, renaming or removing a file is a visible change of the build. The risk of a list is
# the opposite one: a file created but not listed is silently left out (a test that never
# runs). multus_require_listed() closes that gap. It fails the configure when a file matching
# the pattern is missing from the list, and records the check for the ctest
# `build.files_listed` (multus_add_listed_files_test), which runs it again at test time,
# catching a file created since the last configure.
#
# Included by the top-level CMakeLists.txt; run in script mode by the ctest:
#   cmake -DMULTUS_LISTED_CHECKS=<file> -P cmake/ListedFiles.cmake

if(CMAKE_SCRIPT_MODE_FILE)
  cmake_minimum_required(VERSION 3.25)  # the project's policies (IN_LIST) in script mode too
endif()

# Sets `out_var` to the files in `dir` matching `pattern` (e.g. *.cc) that are not among the
# absolute paths in ARGN, relative to `dir`.
function(_multus_unlisted out_var dir pattern)
  file(GLOB present RELATIVE ${dir} ${dir}/${pattern})
  set(unlisted "")
  foreach(name IN LISTS present)
    if(NOT "${dir}/${name}" IN_LIST ARGN)
      list(APPEND unlisted ${name})
    endif()
  endforeach()
  list(SORT unlisted)
  set(${out_var} "${unlisted}" PARENT_SCOPE)
endfunction()

if(CMAKE_SCRIPT_MODE_FILE)
  # The ctest: each line of the checks file is `<list file>|<dir>|<pattern>|<file>,<file>,...`.
  file(STRINGS ${MULTUS_LISTED_CHECKS} checks)
  set(failed 0)
  foreach(check IN LISTS checks)
    string(REPLACE "|" ";" fields "${check}")
    list(POP_FRONT fields list_file dir pattern)
    string(REPLACE "," ";" listed "${fields}")
    _multus_unlisted(unlisted ${dir} ${pattern} ${listed})
    if(unlisted)
      string(REPLACE ";" " " unlisted "${unlisted}")
      message("${dir} holds ${unlisted}, not listed in ${list_file}")
      set(failed 1)
    endif()
  endforeach()
  if(failed)
    message(FATAL_ERROR "list each file above there (or delete it)")
  endif()
  list(LENGTH checks count)
  message("every file is listed (${count} directories checked)")
  return()
endif()

# multus_require_listed(<dir> <pattern> <file>...): every file in <dir> (relative to the
# current source directory) matching <pattern> must be one of the <file>s (relative to the
# current source directory, or absolute).
function(multus_require_listed dir pattern)
  get_filename_component(dir ${dir} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
  set(listed "")
  foreach(file IN LISTS ARGN)
    get_filename_component(file ${file} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
    list(APPEND listed ${file})
  endforeach()
  _multus_unlisted(unlisted ${dir} ${pattern} ${listed})
  if(unlisted)
    string(REPLACE ";" " " unlisted "${unlisted}")
    message(FATAL_ERROR "${dir} holds ${unlisted}, not listed in ${CMAKE_CURRENT_LIST_FILE}: "
                        "list it there (or delete it)")
  endif()
  string(REPLACE ";" "," listed "${listed}")
  set_property(GLOBAL APPEND PROPERTY MULTUS_LISTED_CHECKS
               "${CMAKE_CURRENT_LIST_FILE}|${dir}|${pattern}|${listed}")
endfunction()

# Adds the ctest build.files_listed over every multus_require_listed() call made so far.
function(multus_add_listed_files_test)
  get_property(checks GLOBAL PROPERTY MULTUS_LISTED_CHECKS)
  string(REPLACE ";" "\n" checks "${checks}")
  set(checks_file ${CMAKE_BINARY_DIR}/listed_files.txt)
  file(WRITE ${checks_file} "${checks}\n")
  add_test(NAME build.files_listed
           COMMAND ${CMAKE_COMMAND} -DMULTUS_LISTED_CHECKS=${checks_file}
                   -P ${PROJECT_SOURCE_DIR}/cmake/ListedFiles.cmake)
endfunction()
