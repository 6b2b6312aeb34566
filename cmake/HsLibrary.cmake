# hs_add_library(NAME SOURCES ...): one library per top folder, with an hs:: alias, the warning
# target, build/install include dirs and export (STYLE.md §10).
function(hs_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;HEADERS" ${ARGN})
  add_library(${name} ${ARG_SOURCES})
  string(REPLACE "hs_" "" _short ${name})
  add_library(hs::${_short} ALIAS ${name})
  target_include_directories(${name} PUBLIC
    $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/hydroscale>)
  target_link_libraries(${name} PRIVATE $<BUILD_INTERFACE:hs_warnings>)
  install(TARGETS ${name} EXPORT hydroscaleTargets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
  if(ARG_HEADERS)
    install(FILES ${ARG_HEADERS} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/hydroscale)
  endif()
endfunction()
