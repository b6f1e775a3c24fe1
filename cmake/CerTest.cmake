# cer_add_test_file(SRC LIBS...): build one test program from SRC and register every
# `TEST(name)` found in it as its own ctest test, named <dir>/<file>/<name>.
function(cer_add_test_file src)
  get_filename_component(base ${src} NAME_WE)
  file(RELATIVE_PATH rel ${CER_ROOT}/tests ${CMAKE_CURRENT_SOURCE_DIR})
  string(REPLACE "/" "_" relu "${rel}")
  set(exe t_${relu}_${base})
  add_executable(${exe} ${src} ${CER_ROOT}/tests/lib/harness.c)
  target_include_directories(${exe} PRIVATE ${CER_ROOT}/tests/lib ${CER_ROOT}/include
                                            ${CER_ROOT}/src)
  target_link_libraries(${exe} PRIVATE ${ARGN})
  target_compile_definitions(${exe} PRIVATE CER_SOURCE_DIR="${CER_ROOT}"
                                            CER_SHARED_DIR="${CER_ROOT}/../shared")
  set_target_properties(${exe} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  file(STRINGS ${src} lines REGEX "^TEST\\(([A-Za-z0-9_]+)\\)")
  foreach(line ${lines})
    string(REGEX REPLACE "^TEST\\(([A-Za-z0-9_]+)\\).*" "\\1" tname "${line}")
    add_test(NAME ${rel}/${base}/${tname} COMMAND ${exe} ${tname}
             WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
    # test files named *_kafka* need the test broker (scripts/kafka.sh): label `kafka`
    if(base MATCHES "_kafka")
      set_tests_properties(${rel}/${base}/${tname} PROPERTIES TIMEOUT 600 LABELS "${rel};kafka")
    elseif(base MATCHES "_opa")
      # a real OPA server (scripts/opa.sh install): label `opa`
      set_tests_properties(${rel}/${base}/${tname} PROPERTIES TIMEOUT 300 LABELS "${rel};opa")
    else()
      set_tests_properties(${rel}/${base}/${tname} PROPERTIES TIMEOUT 300 LABELS "${rel}")
    endif()
  endforeach()
endfunction()

# cer_add_fuzzer(NAME SRC LIBS...): a libFuzzer target built only with CER_FUZZ=ON, written to
# <build>/fuzz/fuzz_NAME; scripts/fuzz.sh runs it with the seed corpus fuzz/NAME/corpus.
function(cer_add_fuzzer name src)
  if(NOT CER_FUZZ)
    return()
  endif()
  add_executable(fuzz_${name} ${src})
  target_include_directories(fuzz_${name} PRIVATE ${CER_ROOT}/include ${CER_ROOT}/src)
  target_compile_options(fuzz_${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(fuzz_${name} PRIVATE ${ARGN})
  set_target_properties(fuzz_${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
  add_dependencies(fuzzers fuzz_${name})
endfunction()
