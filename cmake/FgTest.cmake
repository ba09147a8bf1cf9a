# fg_add_test(NAME name SOURCES a.cc b.cc LIBS lib... [LABELS unit] [FIXTURES fixture...])
# Builds one GoogleTest binary and registers its tests with CTest. FIXTURES: CTest fixtures
# every test of the binary requires (e.g. postgres, tests/CMakeLists.txt), with the
# environment each fixture gives its tests (FG_FIXTURE_ENV_<fixture>).
include(GoogleTest)
function(fg_add_test)
  cmake_parse_arguments(T "" "NAME" "SOURCES;LIBS;LABELS;FIXTURES" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gtest GTest::gmock GTest::gtest_main)
  target_include_directories(${T_NAME} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
  fg_set_warnings(${T_NAME})
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  gtest_discover_tests(${T_NAME} DISCOVERY_TIMEOUT 30)
  # Labels are set by a script that runs after discovery: gtest_discover_tests' PROPERTIES
  # keeps only the first element of a list value (CMake 3.25).
  set(labels_file ${CMAKE_CURRENT_BINARY_DIR}/${T_NAME}_labels.cmake)
  set(fixture_properties "")
  if(T_FIXTURES)
    set(fixture_env "")
    foreach(fixture IN LISTS T_FIXTURES)
      list(APPEND fixture_env ${FG_FIXTURE_ENV_${fixture}})
    endforeach()
    string(APPEND fixture_properties " FIXTURES_REQUIRED \"${T_FIXTURES}\"")
    if(fixture_env)
      string(APPEND fixture_properties " ENVIRONMENT \"${fixture_env}\"")
    endif()
  endif()
  file(WRITE ${labels_file}
       "if(${T_NAME}_TESTS)\n  set_tests_properties(\${${T_NAME}_TESTS} PROPERTIES LABELS \"${T_LABELS}\"${fixture_properties})\nendif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${labels_file})
endfunction()
