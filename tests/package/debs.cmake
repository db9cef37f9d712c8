# Run by ctest: makes the Debian packages with cpack, checks what each holds and depends on,
# runs lintian over them, unpacks them all into a scratch root with `dpkg -x` (nothing is
# installed on the machine), then builds and runs the consumer project against that root only
# (run.cmake with PREFIX=<root>/usr), and runs the console example from that root under a
# socket standing in for systemd (NOTIFIER: tests/package/notifylistener.cpp).
# Packages come from a build whose install prefix is /usr. When the build in BUILD_DIR has
# another (the dev preset's), cpack must refuse it, saying why; the packages then come from a
# build of PROJECT_DIR with the prefix /usr in PACKAGE_BUILD_DIR, kept between runs.
#   cmake -DBUILD_DIR=... -DPROJECT_DIR=... -DPACKAGE_BUILD_DIR=... -DSOURCE_DIR=... -DWORK_DIR=...
#         -DVERSION=... -DSOVERSION=... -DCPACK=... -DNOTIFIER=... [-DCXX_FLAGS=...]
#         [-DLINKER_FLAGS=...] -P debs.cmake
foreach(var BUILD_DIR PROJECT_DIR PACKAGE_BUILD_DIR SOURCE_DIR WORK_DIR VERSION SOVERSION CPACK
        NOTIFIER)
    if(NOT ${var})
        message(FATAL_ERROR "debs.cmake needs -D${var}=...")
    endif()
endforeach()

function(run out_var)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT result EQUAL 0)
        message(FATAL_ERROR "failed (${result}): ${ARGN}\n${out}\n${err}")
    endif()
    set(${out_var} "${out}" PARENT_SCOPE)
endfunction()

function(cached build_dir name out_var)
    file(STRINGS ${build_dir}/CMakeCache.txt line REGEX "^${name}:")
    string(REGEX REPLACE "^[^=]*=" "" value "${line}")
    set(${out_var} "${value}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
cached(${BUILD_DIR} CMAKE_INSTALL_PREFIX prefix)
set(targets QLifecycleCore QLifecycleTest QLifecycleQml QLifecycleQmlPlugin QLifecycleWidgets
    console_example docs)
if(prefix STREQUAL "/usr")
    set(package_build ${BUILD_DIR})
else()
    execute_process(COMMAND ${CPACK} -G DEB --config ${BUILD_DIR}/CPackConfig.cmake
        -B ${WORK_DIR}/refused RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(result EQUAL 0 OR NOT "${out}${err}" MATCHES "Debian packages need a build configured with")
        message(FATAL_ERROR "cpack made packages of a build installing into ${prefix}:\n${out}\n${err}")
    endif()
    message(STATUS "cpack refuses the build in ${BUILD_DIR} (prefix ${prefix}), as it should")
    set(package_build ${PACKAGE_BUILD_DIR})
    run(out ${CMAKE_COMMAND} -S ${PROJECT_DIR} -B ${package_build} -G Ninja
        -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_BUILD_TYPE=RelWithDebInfo
        -DQLIFECYCLE_BUILD_TESTS=OFF -DQLIFECYCLE_BUILD_BENCHMARKS=OFF)
endif()
run(out ${CMAKE_COMMAND} --build ${package_build} --target ${targets})
cached(${package_build} CMAKE_INSTALL_LIBDIR LIBDIR)
run(out ${CPACK} -G DEB --config ${package_build}/CPackConfig.cmake -B ${WORK_DIR}/debs)
message(STATUS "${out}")

set(lib usr/${LIBDIR})
set(qml ${lib}/qt6/qml/QLifecycle)
# package | files it must hold | regular expressions its Depends must match
set(packages libqlifecycle${SOVERSION} libqlifecycletest${SOVERSION} qml6-module-qlifecycle
    libqlifecycle-widgets${SOVERSION} libqlifecycle-dev qlifecycle-examples libqlifecycle-doc)
# Those with ELF files: stripped, with their debug symbols in <package>-dbgsym.
set(binary_packages libqlifecycle${SOVERSION} libqlifecycletest${SOVERSION}
    qml6-module-qlifecycle libqlifecycle-widgets${SOVERSION} qlifecycle-examples)
set(libqlifecycle${SOVERSION}_files ${lib}/libQLifecycleCore.so.${SOVERSION} ${lib}/libQLifecycleCore.so.${VERSION})
set(libqlifecycle${SOVERSION}_depends "libqt6core6 \\(>= 6" "libc6")
set(libqlifecycletest${SOVERSION}_files ${lib}/libQLifecycleTest.so.${SOVERSION} ${lib}/libQLifecycleTest.so.${VERSION})
set(libqlifecycletest${SOVERSION}_depends "libqlifecycle${SOVERSION} \\(= ${VERSION}\\)" "libqt6core6")
set(qml6-module-qlifecycle_files ${lib}/libQLifecycleQml.so.${SOVERSION} ${lib}/libQLifecycleQml.so.${VERSION}
    ${qml}/qmldir ${qml}/QLifecycleQml.qmltypes ${qml}/libQLifecycleQmlPlugin.so)
set(qml6-module-qlifecycle_depends "libqlifecycle${SOVERSION} \\(= ${VERSION}\\)" "libqt6qml6")
set(libqlifecycle-widgets${SOVERSION}_files ${lib}/libQLifecycleWidgets.so.${SOVERSION}
    ${lib}/libQLifecycleWidgets.so.${VERSION})
set(libqlifecycle-widgets${SOVERSION}_depends "libqlifecycle${SOVERSION} \\(= ${VERSION}\\)"
    "libqt6widgets6" "libqt6gui6")
set(libqlifecycle-dev_files
    usr/include/QLifecycle/QLifecycle usr/include/QLifecycle/qservice.h
    usr/include/QLifecycle/version.h usr/include/QLifecycle/qlifecycle_export.h
    usr/include/QLifecycle/impl/qservice_impl.h
    usr/include/QLifecycle/WorkerThread usr/include/QLifecycle/workerthread.h
    usr/include/QLifecycle/TestKit usr/include/QLifecycle/testkit/harness.h
    usr/include/QLifecycle/testkit/qlifecycle_test_export.h
    usr/include/QLifecycle/Widgets usr/include/QLifecycle/ServiceTableView
    usr/include/QLifecycle/widgets/servicetableview.h
    usr/include/QLifecycle/widgets/qlifecycle_widgets_export.h
    ${lib}/libQLifecycleCore.so ${lib}/libQLifecycleTest.so ${lib}/libQLifecycleQml.so
    ${lib}/libQLifecycleWidgets.so
    ${lib}/cmake/QLifecycle/QLifecycleConfig.cmake
    ${lib}/cmake/QLifecycle/QLifecycleConfigVersion.cmake
    ${lib}/cmake/QLifecycle/QLifecycleTargets.cmake)
set(qlifecycle-examples_files usr/bin/qlifecycle-console
    usr/lib/systemd/user/qlifecycle-console.service)
set(qlifecycle-examples_depends "libqlifecycle${SOVERSION} \\(= ${VERSION}\\)" "libqt6core6")
set(libqlifecycle-doc_files usr/share/doc/libqlifecycle-doc/html/index.html
    usr/share/doc/libqlifecycle-doc/html/md_docs_systemd.html)
set(libqlifecycle-dev_depends "libqlifecycle${SOVERSION} \\(= ${VERSION}\\)"
    "libqlifecycletest${SOVERSION} \\(= ${VERSION}\\)" "qml6-module-qlifecycle \\(= ${VERSION}\\)"
    "libqlifecycle-widgets${SOVERSION} \\(= ${VERSION}\\)"
    "qt6-base-dev" "qcoro-qt6-dev")

set(root ${WORK_DIR}/root)
file(MAKE_DIRECTORY ${root})
foreach(package IN LISTS packages)
    file(GLOB deb ${WORK_DIR}/debs/${package}_${VERSION}_*.deb)
    if(NOT deb)
        message(FATAL_ERROR "cpack made no ${package}_${VERSION}_<arch>.deb")
    endif()
    run(depends dpkg-deb --field ${deb} Depends)
    message(STATUS "${package}: Depends: ${depends}")
    foreach(pattern IN LISTS ${package}_depends)
        if(NOT depends MATCHES "(^|, )${pattern}")
            message(FATAL_ERROR "${package} does not depend on ${pattern}: ${depends}")
        endif()
    endforeach()
    # Each package alone holds its files; then all go to one root.
    file(MAKE_DIRECTORY ${WORK_DIR}/one/${package})
    run(out dpkg -x ${deb} ${WORK_DIR}/one/${package})
    foreach(file IN LISTS ${package}_files ITEMS usr/share/doc/${package}/copyright
            usr/share/doc/${package}/changelog.gz)
        # (a library link alone is dangling: its target is in another package)
        if(NOT EXISTS ${WORK_DIR}/one/${package}/${file}
                AND NOT IS_SYMLINK ${WORK_DIR}/one/${package}/${file})
            message(FATAL_ERROR "${package} has no /${file}")
        endif()
    endforeach()
    run(out dpkg -x ${deb} ${root})
endforeach()

# Stripped ELF files; their debug symbols, by build ID, in the -dbgsym package.
foreach(package IN LISTS binary_packages)
    file(GLOB ddeb ${WORK_DIR}/debs/${package}-dbgsym_${VERSION}_*.ddeb)
    if(NOT ddeb)
        message(FATAL_ERROR "cpack made no ${package}-dbgsym_${VERSION}_<arch>.ddeb")
    endif()
    file(MAKE_DIRECTORY ${WORK_DIR}/dbgsym/${package})
    run(out dpkg -x ${ddeb} ${WORK_DIR}/dbgsym/${package})
    file(GLOB_RECURSE symbols ${WORK_DIR}/dbgsym/${package}/usr/lib/debug/.build-id/*.debug)
    if(NOT symbols)
        message(FATAL_ERROR "${package}-dbgsym holds no /usr/lib/debug/.build-id/*.debug")
    endif()
    file(GLOB_RECURSE elves LIST_DIRECTORIES false ${WORK_DIR}/one/${package}/*.so.${VERSION}
        ${WORK_DIR}/one/${package}/*Plugin.so ${WORK_DIR}/one/${package}/usr/bin/*)
    foreach(elf IN LISTS elves)
        run(sections readelf -S --wide ${elf})
        if(sections MATCHES "\\.debug_info")
            message(FATAL_ERROR "${elf} of ${package} is not stripped")
        endif()
    endforeach()
endforeach()

# lintian: no error. Its warnings are printed; docs/systemd.md says why each is left.
find_program(LINTIAN lintian)
if(LINTIAN)
    file(GLOB debs ${WORK_DIR}/debs/*.deb)
    execute_process(COMMAND ${LINTIAN} --fail-on error --tag-display-limit 0 ${debs}
        RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
    message(STATUS "lintian:\n${out}${err}")
    if(NOT result EQUAL 0)
        message(FATAL_ERROR "lintian found errors (${result}):\n${out}\n${err}")
    endif()
else()
    message(STATUS "lintian not found (scripts/setup.sh installs it): not run")
endif()

# Nothing of the build tree in the installed libraries' run paths.
file(GLOB_RECURSE elves ${root}/*.so.${VERSION} ${root}/*Plugin.so)
foreach(elf IN LISTS elves)
    run(dynamic readelf -d ${elf})
    if(dynamic MATCHES "${BUILD_DIR}")
        message(FATAL_ERROR "${elf} refers to the build tree:\n${dynamic}")
    endif()
endforeach()

run(out ${CMAKE_COMMAND} -DPREFIX=${root}/usr -DSOURCE_DIR=${SOURCE_DIR}
    -DWORK_DIR=${WORK_DIR}/consumer "-DCXX_FLAGS=${CXX_FLAGS}" "-DLINKER_FLAGS=${LINKER_FLAGS}"
    -P ${CMAKE_CURRENT_LIST_DIR}/run.cmake)
message(STATUS "${out}")

# The console example from the root, under a socket standing in for systemd: READY=1, then
# (after SIGTERM, as `systemctl stop` sends) STOPPING=1 and exit code 0.
run(out ${CMAKE_COMMAND} -E env LD_LIBRARY_PATH=${root}/${lib}
    ${NOTIFIER} 60 ${root}/usr/bin/qlifecycle-console)
message(STATUS "notify messages of the installed console example:\n${out}")
# Its unit file, as systemd reads it (the program path moved into the root).
find_program(SYSTEMD_ANALYZE systemd-analyze)
if(SYSTEMD_ANALYZE)
    file(READ ${root}/usr/lib/systemd/user/qlifecycle-console.service unit)
    string(REPLACE "ExecStart=/usr/bin/" "ExecStart=${root}/usr/bin/" unit "${unit}")
    file(WRITE ${WORK_DIR}/unit/qlifecycle-console.service "${unit}")
    run(out ${SYSTEMD_ANALYZE} verify ${WORK_DIR}/unit/qlifecycle-console.service)
endif()
