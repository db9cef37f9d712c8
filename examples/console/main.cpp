// qlifecycle-console: a daemon-like program built from seven services.
//
//   Api       needs { Database, Cache, Search, Telemetry } (in parallel), then Metrics
//   Database  needs Config
//   Cache     needs Config                      (Config is shared: a diamond)
//
// The manager starts them in dependency order, with as much parallelism as the declared stages
// allow, logs every transition, and stops them in the exact reverse order on Ctrl-C, SIGTERM
// or --seconds, saying why. Telemetry's start is deferred (QService::StartPolicy::WhenIdle):
// nobody waits for it, the manager is Running once the six others run, and Telemetry starts
// once the event loop is idle.
// Try:
//
//   qlifecycle-console --seconds 2
//   qlifecycle-console --fail-start Search    (the start is rolled back; exit code 1)
//   qlifecycle-console --fail-stop Database   (the rest still stops; exit code 1)
//   qlifecycle-console --slow-stop Api        (press Ctrl-C twice to give up waiting)
//   qlifecycle-console --flaky Database       (crashes every 2 to 5 s; restarted, with Api)
//   qlifecycle-console --seconds 1 --analyze  (then where the time went: the critical chains)

#include "services.h"
#include "transitionlog.h"

#include <QLifecycle/ServiceManager>
#include <QLifecycle/TraceRecorder>

#include <QtCore/QCommandLineParser>
#include <QtCore/QCoreApplication>
#include <QtCore/QFile>
#include <QtCore/QTimer>

#include <cstdio>
#include <cstdlib>
#include <optional>

using namespace Qt::StringLiterals;

namespace {

// The service named by `option` (as in --fail-start Search), or nullptr when the option is not
// given. An unknown name is a usage error.
SimulatedService *serviceFromOption(const QCommandLineParser &parser,
                                    const QCommandLineOption &option,
                                    const QList<SimulatedService *> &services)
{
    if (!parser.isSet(option))
        return nullptr;
    const QString name = parser.value(option);
    for (SimulatedService *service : services) {
        if (service->name().compare(name, Qt::CaseInsensitive) == 0)
            return service;
    }
    std::fprintf(stderr, "%s: --%s: no service named \"%s\"\n",
                 qPrintable(QCoreApplication::applicationName()),
                 qPrintable(option.names().first()), qPrintable(name));
    std::exit(2);
}

} // namespace

int main(int argc, char *argv[])
{
    TransitionLog log; // its clock starts now: the log shows times since the program started

    QCoreApplication app(argc, argv); // ServiceManager::run() needs an application object
    QCoreApplication::setApplicationName(u"qlifecycle-console"_s);

    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Starts seven services in dependency order and stops them in reverse order on Ctrl-C."_s);
    parser.addHelpOption();
    const QCommandLineOption secondsOption(u"seconds"_s, u"Stop by itself after <n> seconds."_s,
                                           u"n"_s);
    const QCommandLineOption failStartOption(u"fail-start"_s,
                                             u"Make the start of <service> throw."_s, u"service"_s);
    const QCommandLineOption failStopOption(u"fail-stop"_s, u"Make the stop of <service> throw."_s,
                                            u"service"_s);
    const QCommandLineOption slowStopOption(
        u"slow-stop"_s, u"Make the stop of <service> take 2 seconds."_s, u"service"_s);
    const QCommandLineOption flakyOption(
        u"flaky"_s, u"Make <service> crash every 2 to 5 s, and the manager restart it."_s,
        u"service"_s);
    const QCommandLineOption analyzeOption(
        u"analyze"_s,
        u"Print the critical chains of the start and the stop, and blame, at the end."_s);
    parser.addOptions({secondsOption, failStartOption, failStopOption, slowStopOption, flakyOption,
                       analyzeOption});
    parser.process(app);

    // The services are plain objects owned here; the manager only drives them. Api is the root:
    // its dependencies() (and theirs) declare the whole graph.
    Config config;
    Database database(&config);
    Cache cache(&config);
    Metrics metrics;
    Search search;
    Telemetry telemetry;
    Api api(&database, &cache, &search, &metrics, &telemetry);
    const QList<SimulatedService *> services{&config, &database,  &cache, &metrics,
                                             &search, &telemetry, &api};

    if (SimulatedService *service = serviceFromOption(parser, failStartOption, services))
        service->injectStartFailure();
    if (SimulatedService *service = serviceFromOption(parser, failStopOption, services))
        service->injectStopFailure();
    if (SimulatedService *service = serviceFromOption(parser, slowStopOption, services))
        service->injectSlowStop(2s);
    if (SimulatedService *service = serviceFromOption(parser, flakyOption, services))
        service->makeFlaky();

    for (SimulatedService *service : services)
        log.watch(service);

    QLifecycle::ServiceManager manager(&api);
    log.watch(&manager);
    // --analyze: where the time went (docs/observability.md).
    std::optional<QLifecycle::TraceRecorder> recorder;
    if (parser.isSet(analyzeOption))
        recorder.emplace(&manager);

    if (parser.isSet(secondsOption)) {
        bool ok = false;
        const int seconds = parser.value(secondsOption).toInt(&ok);
        if (!ok || seconds < 0) {
            std::fprintf(stderr, "qlifecycle-console: --seconds needs a number, not \"%s\"\n",
                         qPrintable(parser.value(secondsOption)));
            return 2;
        }
        // requestStop() is the programmatic twin of Ctrl-C: a graceful stop, from anywhere.
        // (A precise timer: a coarse one may fire up to 5% early.)
        QTimer::singleShot(std::chrono::seconds(seconds), Qt::PreciseTimer, &manager,
                           &QLifecycle::ServiceManager::requestStop);
    }

    // Starts the graph, runs the event loop until Ctrl-C, SIGTERM or requestStop(), stops the
    // graph, and returns 0 after a clean stop or 1 after any failure (logged on stderr).
    const int exitCode = manager.run();
    log.printSummary(manager, exitCode);
    if (recorder) {
        QFile out;
        out.open(stdout, QIODevice::WriteOnly);
        std::fputs("\n", stdout);
        std::fflush(stdout);
        recorder->writeCriticalChain(&out);
    }
    return exitCode;
}
