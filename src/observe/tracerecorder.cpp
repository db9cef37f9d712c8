#include <QLifecycle/timesource.h>
#include <QLifecycle/tracerecorder.h>

#include "graph/dependencygraph.h"
#include "manager/graphrun.h"
#include "manager/servicemanager_p.h"
#include "observe/tracerecorder_p.h"
#include "service/qservice_p.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QFile>
#include <QtCore/QFileInfo>
#include <QtCore/QLoggingCategory>
#include <QtCore/QSet>
#include <QtCore/QThread>

namespace QLifecycle {

namespace {
Q_LOGGING_CATEGORY(lcTrace, "qlifecycle.trace", QtWarningMsg)
} // namespace

qint64 TraceRecorderPrivate::now()
{
    // The virtual clock of tests counts milliseconds; the system's, nanoseconds.
    TimeSource *source = TimeSource::current();
    const bool virtualTime = source != TimeSource::system();
    if (!started) {
        started = true;
        timer.start();
        virtualOrigin = virtualTime ? source->nowMs() : 0;
    }
    return virtualTime ? (source->nowMs() - virtualOrigin) * 1'000'000 : timer.nsecsElapsed();
}

QString TraceRecorderPrivate::threadName()
{
    // Named once per thread and kept: every moment recorded asks (the thread's object name, as
    // it was when the thread was first seen).
    thread_local const QThread *named = nullptr;
    thread_local QString name;
    QThread *thread = QThread::currentThread();
    if (thread == named)
        return name;
    named = thread;
    if (!thread->objectName().isEmpty())
        name = thread->objectName();
    else if (QCoreApplication::instance() && thread == QCoreApplication::instance()->thread())
        name = QStringLiteral("main");
    else
        name = QStringLiteral("thread 0x%1").arg(quintptr(thread), 0, 16);
    return name;
}

int TraceRecorderPrivate::serviceIndex(QService *service)
{
    const auto found = indexOf.constFind(service);
    if (found != indexOf.cend())
        return *found;
    TraceService entry;
    entry.name = service->name();
    entry.service = service;
    services.append(entry);
    indexOf.insert(service, int(services.size()) - 1);
    return int(services.size()) - 1;
}

void TraceRecorderPrivate::record(int service, TraceEvent event)
{
    event.seq = ++seq;
    event.ns = now();
    event.thread = threadName();
    services[service].events.append(std::move(event));
}

void TraceRecorderPrivate::recordManager(TraceEvent event)
{
    event.seq = ++seq;
    event.ns = now();
    event.thread = threadName();
    managerEvents.append(std::move(event));
}

// The services of the run and the edges its graph uses (docs/observability.md): read
// from the run, never from dependencies() again, which could answer differently now.
void TraceRecorderPrivate::readRun(TraceRecorder *q)
{
    if (!manager)
        return;
    for (QService *service : manager->services()) {
        const int index = serviceIndex(service);
        if (!watched.contains(service)) {
            watched.insert(service);
            connections.append(QObject::connect(
                service, &QService::stateChanged, q, [this, index](QService::State state) {
                    record(index, {TraceEvent::Kind::State, 0, 0, int(state), {}, {}});
                }));
            connections.append(QObject::connect(
                service, &QService::healthChanged, q, [this, index](QService::Health health) {
                    record(index, {TraceEvent::Kind::Health, 0, 0, int(health), {}, {}});
                }));
        }
    }
    const std::shared_ptr<GraphRun> &run = ServiceManagerPrivate::get(manager)->run;
    if (!run)
        return;
    const DependencyGraph &graph = run->graph();
    for (TraceService &entry : services) {
        if (!entry.service)
            continue;
        const int node =
            graph.nodeOf(entry.service, QServicePrivate::get(entry.service)->graphNode);
        if (node < 0)
            continue;
        entry.dependencies.clear();
        entry.optional.clear();
        entry.waitsFor.clear();
        // Through barriers (a group, an optional stage) to the services behind them.
        std::vector<int> pending(graph.prerequisites(node).begin(),
                                 graph.prerequisites(node).end());
        QSet<int> seen;
        while (!pending.empty()) {
            const int next = pending.back();
            pending.pop_back();
            if (seen.contains(next))
                continue;
            seen.insert(next);
            if (QService *prerequisite = graph.service(next)) {
                entry.waitsFor.append(serviceIndex(prerequisite));
                continue;
            }
            const std::span<const int> behind = graph.prerequisites(next);
            pending.insert(pending.end(), behind.begin(), behind.end());
        }
        const std::span<const int> declared = graph.declaredDependencies(node);
        for (int at = 0; at < int(declared.size()); ++at) {
            if (QService *dependency = graph.service(declared[size_t(at)])) {
                entry.dependencies.append(serviceIndex(dependency));
                entry.optional.append(graph.isDeclaredOptional(node, at));
            }
        }
    }
}

TraceRecorder::TraceRecorder(QObject *parent)
    : QObject(parent), d_ptr(std::make_unique<TraceRecorderPrivate>())
{
    d_ptr->q = this;
}

TraceRecorder::TraceRecorder(ServiceManager *manager, QObject *parent) : TraceRecorder(parent)
{
    attach(manager);
}

TraceRecorder::~TraceRecorder()
{
    detach();
}

void TraceRecorder::attach(ServiceManager *manager)
{
    Q_D(TraceRecorder);
    detach();
    if (!manager)
        return;
    d->manager = manager;
    using Kind = TraceEvent::Kind;
    auto on = [this, d](auto signal, auto slot) {
        d->connections.append(connect(d->manager.data(), signal, this, slot));
    };
    on(&ServiceManager::stateChanged, [d](QService::State state) {
        d->recordManager({Kind::State, 0, 0, int(state), {}, {}});
    });
    on(&ServiceManager::servicesChanged, [this, d] { d->readRun(this); });
    on(&ServiceManager::errorOccurred, [d](QService *service, Phase phase, const QString &text) {
        if (service)
            d->record(d->serviceIndex(service), {Kind::Failure, 0, 0, int(phase), text, {}});
    });
    on(&ServiceManager::restartScheduled, [d](QService *service, qint64 delayMs) {
        d->record(d->serviceIndex(service),
                  {Kind::RestartScheduled, 0, 0, int(delayMs), QString(), {}});
    });
    on(&ServiceManager::restartsExhausted, [d](QService *service, const QString &reason) {
        d->record(d->serviceIndex(service), {Kind::RestartsExhausted, 0, 0, 0, reason, {}});
    });
    on(&ServiceManager::startProgressChanged, [d](double progress) {
        d->recordManager({Kind::Progress, 0, 0, int(progress * 1000), QStringLiteral("start"), {}});
    });
    on(&ServiceManager::stopProgressChanged, [d](double progress) {
        d->recordManager({Kind::Progress, 0, 0, int(progress * 1000), QStringLiteral("stop"), {}});
    });
    detail::Tracer::attach(manager, d); // hooks, tasks and stalls
    // Attached while a run is under way: its services and edges now.
    if (manager->state() != QService::State::Stopped || !manager->services().isEmpty())
        d->readRun(this);
}

void TraceRecorder::detach()
{
    Q_D(TraceRecorder);
    if (d->manager)
        detail::Tracer::detach(d->manager, d);
    for (const QMetaObject::Connection &connection : std::as_const(d->connections))
        disconnect(connection);
    d->connections.clear();
    d->manager = nullptr;
    d->watched.clear(); // watched again on the next attach
}

ServiceManager *TraceRecorder::manager() const
{
    return d_func()->manager;
}

void TraceRecorder::clear()
{
    Q_D(TraceRecorder);
    ServiceManager *manager = d->manager;
    detach();
    d->services.clear();
    d->indexOf.clear();
    d->watched.clear();
    d->managerEvents.clear();
    d->seq = 0;
    d->started = false;
    attach(manager);
}

bool TraceRecorder::isEmpty() const
{
    return d_func()->seq == 0;
}

bool TraceRecorder::save(const QString &path) const
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    bool (TraceRecorder::*writer)(QIODevice *) const = nullptr;
    if (suffix == u"json")
        writer = &TraceRecorder::writeChromeTrace;
    else if (suffix == u"svg")
        writer = &TraceRecorder::writeTimeline;
    else if (suffix == u"dot")
        writer = &TraceRecorder::writeGraph;
    else if (suffix == u"txt")
        writer = &TraceRecorder::writeCriticalChain;
    if (!writer) {
        qCWarning(lcTrace).noquote()
            << QStringLiteral(R"(cannot save the trace to %1: unknown extension "%2" (use .json, )"
                              ".svg, .dot or .txt)")
                   .arg(path, suffix);
        return false;
    }
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        qCWarning(lcTrace).noquote()
            << QStringLiteral("cannot save the trace to %1: %2").arg(path, file.errorString());
        return false;
    }
    if (!(this->*writer)(&file) || !file.flush()) {
        qCWarning(lcTrace).noquote()
            << QStringLiteral("cannot write the trace to %1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

bool TraceRecorder::writeChromeTrace(QIODevice *device) const
{
    return QLifecycle::writeChromeTrace(*d_func(), device);
}

bool TraceRecorder::writeTimeline(QIODevice *device) const
{
    return writeTimelineSvg(*d_func(), device);
}

bool TraceRecorder::writeGraph(QIODevice *device) const
{
    return writeGraphDot(*d_func(), device);
}

bool TraceRecorder::writeCriticalChain(QIODevice *device) const
{
    return writeChainText(*d_func(), device);
}

namespace {
QStringList chainNames(const TraceRecorderPrivate &d, bool start)
{
    const QList<TraceSpan> spans = d.spans();
    QStringList names;
    for (int span : d.criticalChain(spans, start))
        names.append(d.services[spans[span].service].name);
    return names;
}
} // namespace

QStringList TraceRecorder::startCriticalChain() const
{
    return chainNames(*d_func(), true);
}

QStringList TraceRecorder::stopCriticalChain() const
{
    return chainNames(*d_func(), false);
}

QString TraceRecorder::releasedBy(const QString &service) const
{
    const TraceRecorderPrivate &d = *d_func();
    const QList<TraceSpan> spans = d.spans();
    for (auto span = spans.crbegin(); span != spans.crend(); ++span) {
        if (span->start && d.services[span->service].name == service)
            return span->releasedBy < 0 ? QString()
                                        : d.services[spans[span->releasedBy].service].name;
    }
    return {};
}

} // namespace QLifecycle
