# Debian packages, made by `cpack -G DEB` in a build directory. One package per install
# component:
#   Runtime      libqlifecycle0.2        libQLifecycleCore.so.0.2 (the SONAME: MAJOR.MINOR while 0.x)
#   TestRuntime  libqlifecycletest0.2    libQLifecycleTest.so.0.2 (the test kit; pulls in Qt Test)
#   Qml          qml6-module-qlifecycle  `import QLifecycle`: plugin, qmldir, qmltypes and
#                                        libQLifecycleQml.so.0.2
#   Widgets      libqlifecycle-widgets0.2  libQLifecycleWidgets.so.0.2 (the QtWidgets parts)
#   Development  libqlifecycle-dev       headers, .so links, the CMake package (all components)
#   Examples     qlifecycle-examples     qlifecycle-console and its systemd user unit
#   Doc          libqlifecycle-doc       the HTML reference (target docs), architecture all
# Each package with ELF files has a -dbgsym package (.ddeb) with their debug symbols, split off
# by cpack, which strips them; each has its copyright (machine-readable, Expat) and changelog
# in /usr/share/doc/<package>. tests/package/debs.cmake checks them all, lintian included.
# The packages install into /usr, so the build must be configured with
# -DCMAKE_INSTALL_PREFIX=/usr: GNUInstallDirs then picks Debian's multiarch libdir
# (/usr/lib/<triplet>), where Qt looks for QML modules (/usr/lib/<triplet>/qt6/qml). cpack
# refuses a build with another prefix (cpack-project-config.cmake.in), and a -doc package
# without the HTML reference built first (cmake --build <build> --target docs).
# lintian finds no error. Its warnings left: package-name-doesnt-match-sonames (the packages are
# named after the project, libqlifecycle0.2, not after each library, libqlifecyclecore0.2: a
# rename is the maintainers' call), maintscript-calls-ldconfig (cpack writes ldconfig into
# postinst and postrm of a library package; the trigger below does it too, so both are
# harmless), no-manual-page (the example program; --help describes it).

set(CPACK_PACKAGE_NAME qlifecycle)
set(CPACK_PACKAGE_VENDOR "QLifecycle developers")
set(CPACK_PACKAGE_CONTACT "QLifecycle developers <qlifecycle@example.invalid>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "service lifecycle for Qt 6 applications")
set(CPACK_PACKAGE_HOMEPAGE_URL "${PROJECT_HOMEPAGE_URL}")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_COMPONENTS_ALL Runtime Development)
if(TARGET console_example)
    list(APPEND CPACK_COMPONENTS_ALL Examples)
endif()
if(TARGET docs)
    list(APPEND CPACK_COMPONENTS_ALL Doc)
endif()
if(TARGET QLifecycleTest)
    list(APPEND CPACK_COMPONENTS_ALL TestRuntime)
endif()
if(TARGET QLifecycleQml)
    list(APPEND CPACK_COMPONENTS_ALL Qml)
endif()
if(TARGET QLifecycleWidgets)
    list(APPEND CPACK_COMPONENTS_ALL Widgets)
endif()

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(QLIFECYCLE_DOCS_HTML ${PROJECT_BINARY_DIR}/docs/html)
configure_file(${CMAKE_CURRENT_LIST_DIR}/cpack-project-config.cmake.in
    ${PROJECT_BINARY_DIR}/CPackProjectConfig.cmake @ONLY)
set(CPACK_PROJECT_CONFIG_FILE ${PROJECT_BINARY_DIR}/CPackProjectConfig.cmake)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${PROJECT_HOMEPAGE_URL}")
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Depends: what the libraries' ELF files need (dpkg-shlibdeps: libqt6core6, libqt6qml6, ...;
# libqcoro6core0 and libqt6concurrent6 only where the linker kept them, as in Debug builds),
# and between these packages from the component dependencies below, at this exact version.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The shlibs file of each library package (and its ldconfig trigger), for dpkg-shlibdeps of
# what is built against them.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)
# Where dpkg-shlibdeps finds this build's own libraries needed by another package's.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS
    ${PROJECT_BINARY_DIR}/src ${PROJECT_BINARY_DIR}/testkit ${PROJECT_BINARY_DIR}/qml
    ${PROJECT_BINARY_DIR}/widgets)

set(_qlifecycle_soversion ${QLIFECYCLE_SOVERSION}) # Debian names runtime packages after the SONAME
# Descriptions: the summary line is CPACK_PACKAGE_DESCRIPTION_SUMMARY, then these lines.
set(_qlifecycle_about "Services start in dependency order with as much parallelism as declared,
stop in the exact reverse order, time out, roll back failed starts and run
cancellable background tasks, with their states as bindable properties.")

set(CPACK_COMPONENT_RUNTIME_DESCRIPTION "${_qlifecycle_about}
This package holds the core library.")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME libqlifecycle${_qlifecycle_soversion})
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION libs)

set(CPACK_COMPONENT_TESTRUNTIME_DESCRIPTION "${_qlifecycle_about}
This package holds the test kit library QLifecycle::Test for QtTest suites of
services: a coroutine runner with a timeout, state helpers, scripted services.")
set(CPACK_COMPONENT_TESTRUNTIME_DEPENDS Runtime)
set(CPACK_DEBIAN_TESTRUNTIME_PACKAGE_NAME libqlifecycletest${_qlifecycle_soversion})
set(CPACK_DEBIAN_TESTRUNTIME_PACKAGE_SECTION libs)

set(CPACK_COMPONENT_QML_DESCRIPTION "${_qlifecycle_about}
This package holds the QML module (import QLifecycle): Service,
ServiceManager, ServiceModel and the Lifecycle singleton.")
set(CPACK_COMPONENT_QML_DEPENDS Runtime)
set(CPACK_DEBIAN_QML_PACKAGE_NAME qml6-module-qlifecycle)
set(CPACK_DEBIAN_QML_PACKAGE_SECTION libs)

set(CPACK_COMPONENT_WIDGETS_DESCRIPTION "${_qlifecycle_about}
This package holds QLifecycle::Widgets, for QtWidgets applications: a start
splash, a service table and a shutdown progress.")
set(CPACK_COMPONENT_WIDGETS_DEPENDS Runtime)
set(CPACK_DEBIAN_WIDGETS_PACKAGE_NAME libqlifecycle-widgets${_qlifecycle_soversion})
set(CPACK_DEBIAN_WIDGETS_PACKAGE_SECTION libs)

set(CPACK_COMPONENT_DEVELOPMENT_DESCRIPTION "${_qlifecycle_about}
This package holds the headers, the library links and the CMake package:
find_package(QLifecycle COMPONENTS Core Qml Test Widgets).")
# The CMake package imports every library, so it needs each of their packages.
set(CPACK_COMPONENT_DEVELOPMENT_DEPENDS ${CPACK_COMPONENTS_ALL})
list(REMOVE_ITEM CPACK_COMPONENT_DEVELOPMENT_DEPENDS Development Examples Doc)
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_NAME libqlifecycle-dev)
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_DEPENDS "qt6-base-dev (>= 6.4), qcoro-qt6-dev (>= 0.8)")
# For the Qml component only.
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_RECOMMENDS "qt6-declarative-dev (>= 6.4)")

set(CPACK_COMPONENT_EXAMPLES_DESCRIPTION "${_qlifecycle_about}
This package holds qlifecycle-console, a daemon-like example of seven services,
with a systemd user unit (Type=notify, a watchdog): systemctl --user start
qlifecycle-console.")
set(CPACK_COMPONENT_EXAMPLES_DEPENDS Runtime)
set(CPACK_DEBIAN_EXAMPLES_PACKAGE_NAME qlifecycle-examples)
set(CPACK_DEBIAN_EXAMPLES_PACKAGE_SECTION misc)

set(CPACK_COMPONENT_DOC_DESCRIPTION "${_qlifecycle_about}
This package holds the guide and the API reference as HTML, in
/usr/share/doc/libqlifecycle-doc/html.")
set(CPACK_DEBIAN_DOC_PACKAGE_NAME libqlifecycle-doc)
set(CPACK_DEBIAN_DOC_PACKAGE_SECTION doc)
set(CPACK_DEBIAN_DOC_PACKAGE_ARCHITECTURE all)
set(CPACK_DEBIAN_DOC_PACKAGE_SHLIBDEPS OFF)

# Stripped ELF files, their debug symbols in <package>-dbgsym (Debian's automatic debug
# packages): the build keeps debug information (RelWithDebInfo, Debug) for cpack to split off.
foreach(component Runtime TestRuntime Qml Widgets Examples)
    string(TOUPPER ${component} _qlifecycle_upper)
    set(CPACK_DEBIAN_${_qlifecycle_upper}_DEBUGINFO_PACKAGE ON)
endforeach()

# The library packages: dpkg runs ldconfig through a trigger (lintian's lacks-ldconfig-trigger).
foreach(component Runtime TestRuntime Qml Widgets)
    string(TOUPPER ${component} _qlifecycle_upper)
    set(CPACK_DEBIAN_${_qlifecycle_upper}_PACKAGE_CONTROL_EXTRA
        ${CMAKE_CURRENT_LIST_DIR}/debian/triggers)
endforeach()
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

# /usr/share/doc/<package>/: copyright and changelog.gz, in every package.
string(TIMESTAMP QLIFECYCLE_DEB_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
configure_file(${CMAKE_CURRENT_LIST_DIR}/debian-copyright.in
    ${PROJECT_BINARY_DIR}/debian/copyright @ONLY)
configure_file(${CMAKE_CURRENT_LIST_DIR}/debian-changelog.in
    ${PROJECT_BINARY_DIR}/debian/changelog @ONLY)
find_program(QLIFECYCLE_GZIP gzip)
if(QLIFECYCLE_GZIP)
    execute_process(COMMAND ${QLIFECYCLE_GZIP} -9nf ${PROJECT_BINARY_DIR}/debian/changelog)
endif()
foreach(component IN LISTS CPACK_COMPONENTS_ALL)
    string(TOUPPER ${component} _qlifecycle_upper)
    set(_qlifecycle_doc share/doc/${CPACK_DEBIAN_${_qlifecycle_upper}_PACKAGE_NAME})
    install(FILES ${PROJECT_BINARY_DIR}/debian/copyright DESTINATION ${_qlifecycle_doc}
        COMPONENT ${component})
    if(QLIFECYCLE_GZIP)
        install(FILES ${PROJECT_BINARY_DIR}/debian/changelog.gz DESTINATION ${_qlifecycle_doc}
            COMPONENT ${component})
    endif()
endforeach()
if(TARGET docs)
    # Built by the docs target, which is not part of all: cpack says so when it is missing.
    install(DIRECTORY ${QLIFECYCLE_DOCS_HTML}/ DESTINATION share/doc/libqlifecycle-doc/html
        COMPONENT Doc OPTIONAL)
endif()

include(CPack)
