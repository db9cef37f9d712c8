#include "firstframe_child.h"

#include "benchcommon.h"

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>

#include <QtCore/QElapsedTimer>
#include <QtCore/QTimer>
#include <QtGui/QGuiApplication>
#include <QtQml/QQmlApplicationEngine>
#include <QtQuick/QQuickWindow>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <ctime>
#include <functional>
#include <memory>
#include <vector>

using namespace std::chrono_literals;
using namespace Qt::StringLiterals;
using QLifecycle::QService;
using QLifecycle::ServiceManager;

namespace firstframe {

namespace {

// A small scene: a few dozen items, text included (fonts are loaded for the first frame).
const char Scene[] = R"(import QtQuick
Window {
    width: 640; height: 480; visible: false; color: "#eef1f5"; title: "first frame"
    Column {
        anchors.centerIn: parent; spacing: 6
        Text { text: "Services: " + Qt.application.name; font.pixelSize: 22 }
        Repeater {
            model: 16
            Rectangle {
                width: 320; height: 14; radius: 7
                color: Qt.hsla(index / 16, 0.55, 0.5, 1)
                Text { anchors.centerIn: parent; text: "service " + index; font.pixelSize: 10 }
            }
        }
    }
}
)";

// When the start() calls began: the first and the last, in ms since the child's main().
struct StartCalls {
    const QElapsedTimer *clock = nullptr;
    double first = -1, last = -1;
    void called()
    {
        last = bench::msSince(*clock);
        first = first < 0 ? last : first;
    }
};

// Takes StartTime to start: `sync` of it working on the thread, the rest awaiting a timer.
class SlowService : public QService
{
public:
    std::chrono::milliseconds sync{0};
    StartCalls *calls = nullptr;

protected:
    QCoro::Task<> start() override
    {
        calls->called();
        QElapsedTimer busy;
        busy.start();
        while (busy.nsecsElapsed() < std::chrono::nanoseconds(sync).count()) {
        }
        co_await sleepFor(StartTime - sync);
    }
};

// The root needs the 50 services, all started together. It is eager (the default): it does not
// wait for the deferred ones, which start after the first frame.
class Root : public QService
{
public:
    QList<QService *> group;

protected:
    QLifecycle::Dependencies dependencies() const override { return {QLifecycle::Stage(group)}; }
};

struct ChildRun {
    QElapsedTimer clock; // started on main()'s first line
    QString config;
    bool windowFirst = false;
    std::unique_ptr<QQmlApplicationEngine> engine;
    QQuickWindow *window = nullptr;
    std::atomic<qint64> frameNs{-1}; // the first frameSwapped, maybe on a render thread
    double cpuMsAtFrame = -1;        // CPU time of the process (all threads) then
    double appMs = -1, shownMs = -1, exposedMs = -1, runningMs = -1, deferredDoneMs = -1;
    StartCalls calls;
    int startedBeforeFrame = 0; // services that had begun to start when the frame came
    int runningAtFrame = 0;
    int deferredAtFrame = -1;
    QString failure;

    double ms() const { return bench::msSince(clock); }
};

double cpuMs()
{
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return double(t.tv_sec) * 1e3 + double(t.tv_nsec) / 1e6;
}

// Notes when the window's first expose event is delivered (its rendering follows it).
class ExposeWatch : public QObject
{
public:
    ExposeWatch(double *at, const QElapsedTimer *clock, QObject *parent)
        : QObject(parent), m_at(at), m_clock(clock)
    {
    }

protected:
    bool eventFilter(QObject *watched, QEvent *event) override
    {
        if (event->type() == QEvent::Expose && *m_at < 0)
            *m_at = bench::msSince(*m_clock);
        return QObject::eventFilter(watched, event);
    }

private:
    double *m_at;
    const QElapsedTimer *m_clock;
};

// Loads the scene, connects to its first frame, then shows it; `frame` runs on this thread.
void showWindow(ChildRun &run, std::function<void()> frame)
{
    run.engine = std::make_unique<QQmlApplicationEngine>();
    run.engine->loadData(QByteArray(Scene));
    run.window = run.engine->rootObjects().isEmpty()
                     ? nullptr
                     : qobject_cast<QQuickWindow *>(run.engine->rootObjects().constFirst());
    if (!run.window) {
        run.failure = u"the scene did not load"_s;
        QCoreApplication::exit(1);
        return;
    }
    QObject::connect(
        run.window, &QQuickWindow::frameSwapped, run.window,
        [&run, frame = std::move(frame)] {
            qint64 none = -1;
            if (!run.frameNs.compare_exchange_strong(none, run.clock.nsecsElapsed()))
                return;
            run.cpuMsAtFrame = cpuMs();
            QMetaObject::invokeMethod(run.window, frame, Qt::QueuedConnection);
        },
        Qt::DirectConnection);
    run.window->installEventFilter(new ExposeWatch(&run.exposedMs, &run.clock, run.window));
    run.window->show();
    run.shownMs = run.ms();
}

int child(ChildRun &run, int argc, char *argv[], std::chrono::milliseconds sync)
{
    QGuiApplication app(argc, argv);
    run.appMs = run.ms();
    QTimer::singleShot(10s, &app, [&run] { // a safety net: never hang the parent
        run.failure = u"no result within 10 s"_s;
        QCoreApplication::exit(3);
    });

    if (run.config == u"none"_s) {
        const auto quit = [] { QCoreApplication::exit(0); };
        if (run.windowFirst)
            showWindow(run, quit);
        else // where the others start their graph
            QMetaObject::invokeMethod(
                &app, [&run, quit] { showWindow(run, quit); }, Qt::QueuedConnection);
        const int code = QCoreApplication::exec();
        run.engine.reset(); // the window goes before the application
        return code;
    }

    const bool deferred = run.config == u"deferred"_s;
    const QService::StartPolicy policy =
        deferred ? QService::StartPolicy::AfterFirstFrame : QService::StartPolicy::Eager;
    std::vector<std::unique_ptr<SlowService>> services;
    Root root;
    int starting = 0;
    for (int i = 0; i < ServiceCount; ++i) {
        services.push_back(std::make_unique<SlowService>());
        services.back()->sync = sync;
        services.back()->calls = &run.calls;
        services.back()->setStartPolicy(policy);
        QObject::connect(services.back().get(), &QService::stateChanged, &app,
                         [&starting](QService::State state) {
                             starting += state == QService::State::Starting ? 1 : 0;
                         });
        root.group.append(services.back().get());
    }
    ServiceManager manager(&root);

    const auto allRunning = [&] {
        return root.state() == QService::State::Running &&
               std::all_of(services.begin(), services.end(),
                           [](const auto &s) { return s->state() == QService::State::Running; });
    };
    // Once everything runs after the frame: stop, and run() returns.
    const auto checkDone = [&] {
        if (run.frameNs < 0 || run.deferredDoneMs >= 0 || manager.deferredCount() != 0 ||
            !allRunning())
            return;
        run.deferredDoneMs = run.ms();
        manager.requestStop();
    };
    const auto frame = [&] {
        run.startedBeforeFrame = starting;
        run.deferredAtFrame = manager.deferredCount();
        run.runningAtFrame = int(std::count_if(services.begin(), services.end(), [](const auto &s) {
            return s->state() == QService::State::Running;
        }));
        checkDone();
    };
    QObject::connect(&manager, &ServiceManager::stateChanged, &app, [&](QService::State state) {
        if (state != QService::State::Running || run.runningMs >= 0)
            return;
        run.runningMs = run.ms();
        if (!run.windowFirst)
            showWindow(run, frame);
    });
    QObject::connect(&manager, &ServiceManager::deferredCountChanged, &app, checkDone);
    QObject::connect(&root, &QService::stateChanged, &app, checkDone);
    for (const auto &service : services) // the root runs first: the deferred ones end it
        QObject::connect(service.get(), &QService::stateChanged, &app, checkDone);

    if (run.windowFirst)
        showWindow(run, frame);
    // What is missing, should the services not all run in time (a deferred start that never
    // comes): the safety net then ends the run.
    QTimer::singleShot(9s, &manager, [&] {
        const auto running = std::count_if(services.begin(), services.end(), [](const auto &s) {
            return s->state() == QService::State::Running;
        });
        run.failure =
            u"after 9 s: deferredCount %1, %2 of %3 services running"_s.arg(manager.deferredCount())
                .arg(running)
                .arg(ServiceCount);
        QCoreApplication::exit(3);
    });
    const int code = manager.run();
    if (run.failure.isEmpty() && run.deferredDoneMs < 0)
        run.failure = u"the services did not all run after the first frame"_s;
    if (run.failure.isEmpty() && deferred && run.startedBeforeFrame > 0)
        run.failure =
            u"%1 deferred services began to start before the frame"_s.arg(run.startedBeforeFrame);
    run.engine.reset(); // the window goes before the application
    return code;
}

} // namespace

int childMain(int argc, char *argv[])
{
    ChildRun run;
    run.clock.start(); // before anything else of the process is built
    run.calls.clock = &run.clock;
    const QByteArrayList arguments(argv, argv + argc);
    run.config = QString::fromLatin1(arguments.value(arguments.indexOf("--child") + 1));
    run.windowFirst = arguments.value(arguments.indexOf("--window") + 1) == "window-first";
    const int sync = arguments.value(arguments.indexOf("--sync-ms") + 1).toInt();
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    if (qgetenv("QT_QPA_PLATFORM") == "offscreen" &&
        qEnvironmentVariableIsEmpty("QT_QUICK_BACKEND"))
        qputenv("QT_QUICK_BACKEND", "software"); // no OpenGL without a display
    const int code = child(run, argc, argv, std::chrono::milliseconds(sync));
    const double frameMs = run.frameNs < 0 ? -1 : double(run.frameNs) / 1e6;
    std::printf("{\"child\":\"%s\",\"first_frame_ms\":%.2f,\"cpu_at_frame_ms\":%.2f,"
                "\"app_ms\":%.2f,\"shown_ms\":%.2f,\"exposed_ms\":%.2f,"
                "\"first_start_ms\":%.2f,\"last_start_ms\":%.2f,"
                "\"running_ms\":%.2f,\"all_running_ms\":%.2f,\"deferred_at_frame\":%d,"
                "\"running_at_frame\":%d,\"started_before_frame\":%d,\"exit\":%d,"
                "\"failure\":\"%s\"}\n",
                qPrintable(run.config), frameMs, run.cpuMsAtFrame, run.appMs, run.shownMs,
                run.exposedMs, run.calls.first, run.calls.last, run.runningMs, run.deferredDoneMs,
                run.deferredAtFrame, run.runningAtFrame, run.startedBeforeFrame, code,
                bench::jsonEscaped(run.failure).constData());
    return code;
}

} // namespace firstframe
