# Run by ctest: makes the Debian packages of the build in BUILD_DIR with cpack, checks what each
# holds and depends on, unpacks them all into a scratch root with `dpkg -x` (nothing is
# installed on the machine), then builds and runs the consumer project against that root only
# (run.cmake with PREFIX=<root>/usr).
#   cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DWORK_DIR=... -DVERSION=... -DSOVERSION=... -DLIBDIR=...
#         -DCPACK=... [-DCXX_FLAGS=...] [-DLINKER_FLAGS=...] -P debs.cmake
foreach(var BUILD_DIR SOURCE_DIR WORK_DIR VERSION SOVERSION LIBDIR CPACK)
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

file(REMOVE_RECURSE ${WORK_DIR})
run(out ${CPACK} -G DEB --config ${BUILD_DIR}/CPackConfig.cmake -B ${WORK_DIR}/debs)
message(STATUS "${out}")

set(lib usr/${LIBDIR})
set(qml ${lib}/qt6/qml/QLifecycle)
# package | files it must hold | regular expressions its Depends must match
set(packages libqlifecycle${SOVERSION} libqlifecycletest${SOVERSION} qml6-module-qlifecycle
    libqlifecycle-widgets${SOVERSION} libqlifecycle-dev)
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
    foreach(file IN LISTS ${package}_files)
        # (a library link alone is dangling: its target is in another package)
        if(NOT EXISTS ${WORK_DIR}/one/${package}/${file}
                AND NOT IS_SYMLINK ${WORK_DIR}/one/${package}/${file})
            message(FATAL_ERROR "${package} has no /${file}")
        endif()
    endforeach()
    run(out dpkg -x ${deb} ${root})
endforeach()

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
