// Binary compatibility: an application compiled against one release of QLifecycle embeds the
// size and alignment of every class it uses from the library's headers (to make, copy or
// subclass them). This table pins them: a change that alters one fails to compile here, which
// says that the change breaks the ABI and needs a new SOVERSION (MAJOR.MINOR while 0.x, see the
// top CMakeLists.txt) and a line in the CHANGELOG. Classes meant to be subclassed keep all
// their data behind a d-pointer, so new properties never change their size.

#include <QLifecycle/QLifecycle>
#include <QLifecycle/TestKit>

#include <QtCore/QAbstractListModel>
#include <QtTest/QTest>

using namespace QLifecycle;

namespace {
template<typename T, size_t Size, size_t Align>
constexpr bool pinned()
{
    static_assert(sizeof(T) == Size, "size changed: an ABI break (see the comment at the top)");
    static_assert(alignof(T) == Align, "alignment changed: an ABI break");
    return true;
}

// Subclassed by applications: a QObject and one pointer, forever.
static_assert(pinned<QService, sizeof(QObject) + sizeof(void *), alignof(void *)>());
static_assert(pinned<ServiceManager, sizeof(QObject) + sizeof(void *), alignof(void *)>());
static_assert(pinned<ServiceModel, sizeof(QAbstractListModel) + sizeof(void *), alignof(void *)>());
// Held by services: a QObject and one pointer too.
static_assert(pinned<WorkerThread, sizeof(QObject) + sizeof(void *), alignof(void *)>());
// Held by applications: a QObject and its d-pointer.
static_assert(pinned<TraceRecorder, sizeof(QObject) + sizeof(void *), alignof(void *)>());

#if defined(__x86_64__) && defined(__linux__) // the figures of the platform the packages are for
// Values and exceptions of the public API (x86_64, Qt 6.4).
static_assert(pinned<Error, 56, 8>());
static_assert(pinned<Failure, 64, 8>());
static_assert(pinned<LifecycleError, 32, 8>());
static_assert(pinned<Cancelled, 8, 8>());
static_assert(pinned<Stage, 32, 8>());
static_assert(pinned<Dependencies, 24, 8>());
static_assert(pinned<TaskOptions, 40, 8>());
static_assert(pinned<QService::HealthStatus, 32, 8>());

// What the installed templates (impl/qservice_impl.h) instantiate in applications: handles and
// opaque storage, whose contents the library may change.
static_assert(pinned<impl::TaskHandle, 16, 8>());
static_assert(pinned<impl::ContextScope, 8, 8>());
static_assert(pinned<impl::Guard, 16, 8>());
static_assert(pinned<impl::Wait, 112, 8>());
static_assert(pinned<impl::SleepWait, 112, 8>());

// The test kit (QLifecycle::Test), a library of its own with the same SOVERSION.
static_assert(pinned<Test::ScriptedService, 288, 8>());
static_assert(pinned<Test::Timeout, 16, 8>());
static_assert(pinned<Test::EventLog, 24, 8>());
static_assert(pinned<Test::Sleeper, 24, 8>());
#endif
} // namespace

class tst_Abi : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void subclassedClassesAreAQObjectAndAPointer();
};

// The table above is checked by the compiler; this states the rule it protects.
void tst_Abi::subclassedClassesAreAQObjectAndAPointer()
{
    QCOMPARE(sizeof(QService), sizeof(QObject) + sizeof(void *));
    QCOMPARE(sizeof(ServiceManager), sizeof(QObject) + sizeof(void *));
    QCOMPARE(sizeof(ServiceModel), sizeof(QAbstractListModel) + sizeof(void *));
}

QTEST_GUILESS_MAIN(tst_Abi)
#include "tst_abi.moc"
