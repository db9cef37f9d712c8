// libFuzzer target: the bytes are decoded into a dependency graph and a fault script (the
// property test's generator, drawing from the bytes instead of a seed), the scenario is run
// by the real ServiceManager, and the property test's invariants are checked. A violation
// prints the scenario and aborts, so that libFuzzer saves the input.
//
// Built only with -DQLIFECYCLE_BUILD_FUZZER=ON and clang; see scripts/fuzz.sh.

#include "checker.h"
#include "scenario.h"

#include <QtCore/QCoreApplication>

#include <cstdio>
#include <cstdlib>

using namespace QLifecycle::Property;

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static int qtArgc = 1;
    static char *qtArgv[] = {(*argv)[0], nullptr};
    (void)argc;
    static QCoreApplication app(qtArgc, qtArgv);
    installMessageTrap(qEnvironmentVariableIsSet("QLIFECYCLE_FUZZ_VERBOSE"));
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const quint8 *data, size_t size)
{
    ByteChoices choices(data, size);
    // Smaller than the property test's graphs: many short runs per second.
    const Scenario scenario = generate(choices, {.maxServices = 40, .maxCycles = 3});
    const Report report = runScenario(scenario);
    if (!report.violations.isEmpty()) {
        fprintf(stderr, "fuzz_lifecycle: %lld violation(s)\n", (long long)report.violations.size());
        for (const QString &violation : report.violations)
            fprintf(stderr, "  %s\n", qPrintable(violation));
        fprintf(stderr, "scenario:\n%s\n", qPrintable(scenario.describe()));
        abort();
    }
    return 0;
}
