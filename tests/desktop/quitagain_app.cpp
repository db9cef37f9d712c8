// A program whose main window is closed twice: once to quit, once more while a service takes
// long to stop ("quit anyway"). Used by tst_quitagain.

#include <QLifecycle/ServiceManager>

#include <QtCore/QTimer>
#include <QtGui/QGuiApplication>
#include <QtGui/QWindow>

#include <cstdio>

using namespace QLifecycle;

class SlowToStop : public QService
{
protected:
    QCoro::Task<> stop() override
    {
        std::puts("stopping");
        std::fflush(stdout);
        co_await sleepFor(std::chrono::seconds(30)); // far longer than the test waits
    }
    std::chrono::milliseconds gracefulShutdownTimeout() const override
    {
        return std::chrono::seconds(60);
    }
};

int main(int argc, char *argv[])
{
    QGuiApplication app(argc, argv);
    QWindow window;
    window.show();
    SlowToStop service;
    service.setObjectName(QStringLiteral("slow"));
    ServiceManager manager(&service);
    manager.setMainWindow(&window);
    QObject::connect(&manager, &ServiceManager::stateChanged, &app, [&](QService::State state) {
        if (state == QService::State::Running)
            QTimer::singleShot(0, &window, [&] { window.close(); });
        else if (state == QService::State::Stopping)
            QTimer::singleShot(50, &window, [&] { window.close(); }); // the user insists
    });
    return manager.run();
}
