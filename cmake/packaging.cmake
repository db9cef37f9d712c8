# Debian packages, made by `cpack -G DEB` in a build directory. One package per install
# component:
#   Runtime      libqlifecycle0.2        libQLifecycleCore.so.0.2 (the SONAME: MAJOR.MINOR while 0.x)
#   TestRuntime  libqlifecycletest0.2    libQLifecycleTest.so.0.2 (the test kit; pulls in Qt Test)
#   Qml          qml6-module-qlifecycle  `import QLifecycle`: plugin, qmldir, qmltypes and
#                                        libQLifecycleQml.so.0.2
#   Widgets      libqlifecycle-widgets0.2  libQLifecycleWidgets.so.0.2 (the QtWidgets parts)
#   Development  libqlifecycle-dev       headers, .so links, the CMake package (all components)
# The packages install into /usr. Configure with -DCMAKE_INSTALL_PREFIX=/usr so that
# GNUInstallDirs picks Debian's multiarch libdir (/usr/lib/<triplet>), where Qt looks for QML
# modules (/usr/lib/<triplet>/qt6/qml); with another prefix the files go to /usr/lib.

set(CPACK_PACKAGE_NAME qlifecycle)
set(CPACK_PACKAGE_VENDOR "QLifecycle developers")
set(CPACK_PACKAGE_CONTACT "QLifecycle developers <qlifecycle@example.invalid>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "service lifecycle for Qt 6 applications")
set(CPACK_PACKAGE_HOMEPAGE_URL "${PROJECT_HOMEPAGE_URL}")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_COMPONENTS_ALL Runtime Development)
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
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${PROJECT_HOMEPAGE_URL}")
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Depends: what the libraries' ELF files need (dpkg-shlibdeps: libqt6core6, libqt6qml6, ...;
# libqcoro6core0 and libqt6concurrent6 only where the linker kept them, as in Debug builds),
# and between these packages from the component dependencies below, at this exact version.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
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
list(REMOVE_ITEM CPACK_COMPONENT_DEVELOPMENT_DEPENDS Development)
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_NAME libqlifecycle-dev)
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_DEPENDS "qt6-base-dev (>= 6.4), qcoro-qt6-dev (>= 0.8)")
# For the Qml component only.
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_RECOMMENDS "qt6-declarative-dev (>= 6.4)")

include(CPack)
