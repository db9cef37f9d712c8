#pragma once

// What the benchmark programs (bench_lifecycle, bench_tasks, bench_responsiveness,
// bench_firstframe) have in common: timing and event-loop helpers, memory figures from
// /proc/self/status, JSON text, the checked targets and the summary printed after the cases,
// and the command-line options of the programs that run cases by family (shape or kind) and
// size.

#include <QtCore/QByteArray>
#include <QtCore/QEventLoop>
#include <QtCore/QMetaObject>
#include <QtCore/QString>

#include <cstddef>
#include <functional>
#include <iterator>
#include <optional>
#include <utility>
#include <vector>

class QCoreApplication;
class QElapsedTimer;

namespace bench {

// ---------------------------------------------------------------------------------------
// Time and event loops.

double msSince(const QElapsedTimer &clock);

// Quits `loop` from the event loop, once the caller has returned to it.
void quitLater(QEventLoop *loop);

// Runs `kickoff(&loop)` from inside a fresh event loop and returns once it quits the loop.
template<typename Kickoff>
void runInEventLoop(Kickoff kickoff)
{
    QEventLoop loop;
    QMetaObject::invokeMethod(
        &loop, [&loop, &kickoff] { kickoff(&loop); }, Qt::QueuedConnection);
    loop.exec();
}

// ---------------------------------------------------------------------------------------
// Memory.

// Evicts the CPU caches: writes then reads a buffer of 128 MiB (four times the largest L3 of
// the machines these programs run on), so that the next timed section starts with cold
// caches, whatever size of graph it touches. Not timed itself.
void evictCaches();

// One "<field>: <n> kB" line of /proc/self/status (VmRSS, VmHWM, ...), in kB; -1 if unreadable.
long long statusKb(const char *field);

// Peak resident set size of the whole process (VmHWM) in MiB, or -1 if unreadable; the
// buffer of evictCaches(), once used, is left out.
double peakRssMb();

// ---------------------------------------------------------------------------------------
// Output.

// `text` as UTF-8 for the inside of a JSON string: '"' and '\' escaped, control characters
// turned into spaces.
QByteArray jsonEscaped(const QString &text);

// One checked target, for the summary.
struct Check {
    QByteArray name;
    bool checked = false;
    bool passed = false;
    QByteArray detail;
};

// Prints one "TARGET MISSED: <name>: <detail>" line per checked target that failed, then the
// summary line: {"summary":{"checked":..,"passed":..,"missed":..<extra>},"targets":[...]}.
// `summaryExtra` is inserted as is after "missed" (empty, or ",\"key\":value...").
void printSummary(const std::vector<Check> &checks, const QByteArray &summaryExtra = {});

// ---------------------------------------------------------------------------------------
// Cases and the command line: --quick, --<family> <name>, --n <n> and --repeat <count>.

// The result of the case (`member`, n) among `results`, or nullptr if it was not run.
template<typename Result, typename Family>
const Result *findCase(const std::vector<Result> &results, Family Result::*family, Family member,
                       int n)
{
    for (const Result &result : results)
        if (result.*family == member && result.n == n)
            return &result;
    return nullptr;
}

struct OptionSpec {
    QString description; // what the program measures, for --help
    QString family;      // the option naming one family of cases: "shape", "kind"
    QString choices;     // its values, for --help and the error: "wide, tree or chain"
    QString quickHelp;
    QString repeatHelp;
    std::vector<int> sizes;      // the N run by default
    std::vector<int> quickSizes; // the N run with --quick
    // The program's own switches (options without a value): name and help.
    std::vector<std::pair<QString, QString>> switches = {};
};

struct RunOptions {
    std::vector<int> sizes;   // spec.sizes, spec.quickSizes or the one --n
    int repeat = 0;           // --repeat, or 0 when not given
    std::vector<QString> set; // the switches of spec.switches given on the command line
};

// Parses the program's command line; --help and an unknown option end the program as
// QCommandLineParser::process() does. `select` is given the value of --<family>, if set, and
// returns false for an unknown name. Returns nullopt once it has printed to stderr what is
// wrong with the command line: the program then exits with 2.
std::optional<RunOptions> parseRunOptions(const QCoreApplication &app, const OptionSpec &spec,
                                          const std::function<bool(const QString &)> &select);

template<typename Family>
struct Options {
    std::vector<Family> members; // every member of the family, or the one --<family> names
    std::vector<int> sizes;
    int repeat = 0;
    std::vector<QString> switches; // RunOptions::set
};

// parseRunOptions() for a family whose members are `all`, each called `nameOf(member)`.
template<typename Family, std::size_t Count>
std::optional<Options<Family>> parseOptions(const QCoreApplication &app, const OptionSpec &spec,
                                            const Family (&all)[Count],
                                            const char *(*nameOf)(Family))
{
    std::vector<Family> members(std::begin(all), std::end(all));
    const std::optional<RunOptions> run = parseRunOptions(app, spec, [&](const QString &name) {
        for (const Family member : all) {
            if (name == QLatin1String(nameOf(member))) {
                members = {member};
                return true;
            }
        }
        return false;
    });
    if (!run)
        return std::nullopt;
    return Options<Family>{std::move(members), run->sizes, run->repeat, run->set};
}

// Warns on stderr when the benchmark was built with assertions enabled.
void warnIfAssertionsEnabled();

} // namespace bench
