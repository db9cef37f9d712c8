#include "benchcommon.h"

#include <QtCore/QCommandLineParser>
#include <QtCore/QCoreApplication>
#include <QtCore/QElapsedTimer>

#include <atomic>
#include <cstdio>
#include <cstring>

namespace bench {

double msSince(const QElapsedTimer &clock)
{
    return double(clock.nsecsElapsed()) / 1e6;
}

void quitLater(QEventLoop *loop)
{
    QMetaObject::invokeMethod(loop, &QEventLoop::quit, Qt::QueuedConnection);
}

long long statusKb(const char *field)
{
    std::FILE *status = std::fopen("/proc/self/status", "r");
    if (!status)
        return -1;
    const size_t length = std::strlen(field);
    long long result = -1;
    char line[256];
    while (std::fgets(line, sizeof line, status)) {
        if (std::strncmp(line, field, length) == 0 && line[length] == ':') {
            std::sscanf(line + length + 1, "%lld", &result);
            break;
        }
    }
    std::fclose(status);
    return result;
}

namespace {
size_t evictionBufferBytes = 0; // resident once evictCaches() ran: left out of peakRssMb()
} // namespace

void evictCaches()
{
    constexpr size_t bytes = size_t(128) << 20;
    static std::vector<unsigned char> buffer(bytes);
    evictionBufferBytes = bytes;
    static unsigned char round = 0;
    ++round;
    for (size_t i = 0; i < bytes; i += 64)
        buffer[i] = static_cast<unsigned char>(round + i);
    unsigned sum = 0;
    for (size_t i = 0; i < bytes; i += 64)
        sum += buffer[i];
    static std::atomic<unsigned> sink; // keeps the reads
    sink.store(sum, std::memory_order_relaxed);
}

double peakRssMb()
{
    const long long kb = statusKb("VmHWM");
    return kb < 0 ? -1 : (double(kb) * 1024.0 - double(evictionBufferBytes)) / (1024.0 * 1024.0);
}

QByteArray jsonEscaped(const QString &text)
{
    QByteArray out;
    for (const char c : text.toUtf8()) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += uchar(c) < 0x20 ? ' ' : c;
    }
    return out;
}

void printSummary(const std::vector<Check> &checks, const QByteArray &summaryExtra)
{
    int checked = 0, missed = 0;
    for (const Check &check : checks) {
        if (!check.checked)
            continue;
        ++checked;
        if (!check.passed) {
            ++missed;
            std::printf("TARGET MISSED: %s: %s\n", check.name.constData(),
                        check.detail.constData());
        }
    }
    std::printf("{\"summary\":{\"checked\":%d,\"passed\":%d,\"missed\":%d%s},\"targets\":[",
                checked, checked - missed, missed, summaryExtra.constData());
    bool first = true;
    for (const Check &check : checks) {
        std::printf("%s{\"target\":\"%s\",\"result\":\"%s\",\"detail\":\"%s\"}", first ? "" : ",",
                    check.name.constData(),
                    !check.checked ? "not run" : (check.passed ? "pass" : "MISSED"),
                    check.detail.constData());
        first = false;
    }
    std::printf("]}\n");
    std::fflush(stdout);
}

namespace {
bool positiveInt(const QString &text, int *value)
{
    bool ok = false;
    *value = text.toInt(&ok);
    return ok && *value > 0;
}
} // namespace

std::optional<RunOptions> parseRunOptions(const QCoreApplication &app, const OptionSpec &spec,
                                          const std::function<bool(const QString &)> &select)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(spec.description);
    parser.addHelpOption();
    const QCommandLineOption quickOption(QStringLiteral("quick"), spec.quickHelp);
    const QCommandLineOption familyOption(
        spec.family, QStringLiteral("Only this %1: %2.").arg(spec.family, spec.choices),
        spec.family);
    const QCommandLineOption nOption(QStringLiteral("n"), QStringLiteral("Only this N."),
                                     QStringLiteral("n"));
    const QCommandLineOption repeatOption(QStringLiteral("repeat"), spec.repeatHelp,
                                          QStringLiteral("count"));
    parser.addOptions({quickOption, familyOption, nOption, repeatOption});
    for (const auto &[name, help] : spec.switches)
        parser.addOption(QCommandLineOption(name, help));
    parser.process(app);

    if (parser.isSet(familyOption) && !select(parser.value(familyOption))) {
        std::fprintf(stderr, "unknown %s '%s' (%s)\n", qPrintable(spec.family),
                     qPrintable(parser.value(familyOption)), qPrintable(spec.choices));
        return std::nullopt;
    }
    RunOptions options;
    options.sizes = parser.isSet(quickOption) ? spec.quickSizes : spec.sizes;
    if (parser.isSet(nOption)) {
        int n = 0;
        if (!positiveInt(parser.value(nOption), &n)) {
            std::fprintf(stderr, "--n needs a positive integer\n");
            return std::nullopt;
        }
        options.sizes = {n};
    }
    if (parser.isSet(repeatOption) && !positiveInt(parser.value(repeatOption), &options.repeat)) {
        std::fprintf(stderr, "--repeat needs a positive integer\n");
        return std::nullopt;
    }
    for (const auto &entry : spec.switches)
        if (parser.isSet(entry.first))
            options.set.push_back(entry.first);
    return options;
}

void warnIfAssertionsEnabled()
{
#ifndef NDEBUG
    std::fprintf(stderr, "warning: assertions are enabled; benchmark a Release or "
                         "RelWithDebInfo build\n");
#endif
}

} // namespace bench
