# Run by ctest: builds the consumer project against an installed QLifecycle only, and runs it.
#   cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DWORK_DIR=... [-DCXX_FLAGS=...] -P run.cmake
#     installs the QLifecycle build in BUILD_DIR into the scratch prefix WORK_DIR/prefix first;
#   cmake -DPREFIX=... -DSOURCE_DIR=... -DWORK_DIR=... [-DCXX_FLAGS=...] -P run.cmake
#     uses a QLifecycle already installed in PREFIX (debs.cmake: the unpacked Debian packages).
foreach(var SOURCE_DIR WORK_DIR)
    if(NOT ${var})
        message(FATAL_ERROR "run.cmake needs -D${var}=...")
    endif()
endforeach()
if(NOT BUILD_DIR AND NOT PREFIX)
    message(FATAL_ERROR "run.cmake needs -DBUILD_DIR=... or -DPREFIX=...")
endif()

function(run)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT result EQUAL 0)
        message(FATAL_ERROR "failed (${result}): ${ARGN}\n${out}\n${err}")
    endif()
    message(STATUS "${out}")
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
if(PREFIX)
    set(prefix ${PREFIX})
else()
    set(prefix ${WORK_DIR}/prefix)
    run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
endif()
# The templates' internals are installed as one header; the rest stays in the library.
file(GLOB_RECURSE internals RELATIVE ${prefix}/include/QLifecycle
    ${prefix}/include/QLifecycle/detail/* ${prefix}/include/QLifecycle/impl/*)
if(NOT internals STREQUAL "impl/qservice_impl.h")
    message(FATAL_ERROR "installed internal headers: ${internals} (expected impl/qservice_impl.h)")
endif()
run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/build -G Ninja
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=RelWithDebInfo
    "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${LINKER_FLAGS}")
# The package config found must be the one in the prefix.
file(STRINGS ${WORK_DIR}/build/CMakeCache.txt config_dir REGEX "^QLifecycle_DIR:")
string(REGEX REPLACE "^[^=]*=" "" config_dir "${config_dir}")
cmake_path(IS_PREFIX prefix "${config_dir}" NORMALIZE in_prefix)
if(NOT in_prefix)
    message(FATAL_ERROR "QLifecycle was found in ${config_dir}, not in ${prefix}")
endif()
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
# The QML module is installed in <prefix>/lib/qt6/qml (<prefix>/lib/<arch>/qt6/qml on Debian
# when installed with GNUInstallDirs' multiarch libdir).
file(GLOB_RECURSE qmldirs ${prefix}/*/qmldir)
list(GET qmldirs 0 qmldir)
get_filename_component(module_dir ${qmldir} DIRECTORY)
get_filename_component(import_path ${module_dir} DIRECTORY)
run(${CMAKE_COMMAND} -E env QML_IMPORT_PATH=${import_path} QT_QPA_PLATFORM=offscreen
    ${WORK_DIR}/build/consumer)
