#pragma once

// The services of the widgets example. They do no real work: each sleeps for its start and its
// stop, long enough for the splash, the table and the shutdown progress to show it.
//
//   Documents    needs { Database, Cache, Network, SearchIndex }   (the root)
//   Cache        needs Database
//   SearchIndex  needs Database, and starts when the application is idle, after the rest
//   Database     needs Settings
//   Network      needs Settings

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>

#include <QtCore/QPointer>
#include <QtCore/QRandomGenerator>
#include <QtWidgets/QMessageBox>

#include <chrono>
#include <stdexcept>

using namespace std::chrono_literals;

// A service whose start and stop take a given time; Network keeps a background task.
class DemoService : public QLifecycle::QService
{
    Q_OBJECT
public:
    DemoService(const QString &name, std::chrono::milliseconds startTime,
                std::chrono::milliseconds stopTime, const QLifecycle::Dependencies &dependencies)
        : m_startTime(startTime), m_stopTime(stopTime), m_dependencies(dependencies)
    {
        setObjectName(name);
    }

    bool keepsATask = false;    // a background task while it runs (the table counts it)
    bool failNextStart = false; // --fail-start: the next start throws

    // --flaky: crashes 2 to 5 s after each start, and the manager restarts it (and what needs
    // it) 1 s later, then 2 s, at most 4 s; at most 10 times a minute.
    void makeFlaky()
    {
        setRestartPolicy({.mode = QLifecycle::RestartPolicy::OnFailure,
                          .initialDelay = 1s,
                          .maxDelay = 4s,
                          .maxRestarts = 10});
        m_flaky = true;
    }

protected:
    QLifecycle::Dependencies dependencies() const override { return m_dependencies; }

    QCoro::Task<> start() override
    {
        co_await sleepFor(m_startTime); // cancellable: a quit while starting cuts it short
        if (std::exchange(failNextStart, false))
            throw std::runtime_error("connection refused");
        if (keepsATask)
            addTask([this] { return heartbeat(); });
        if (m_flaky)
            addTask(flake(), {.name = QStringLiteral("flaky")});
    }
    QCoro::Task<> stop() override { co_await sleepFor(m_stopTime); }

private:
    QCoro::Task<> heartbeat()
    {
        for (;;)
            co_await sleepFor(1s);
    }

    // Degraded after a second, then a crash 2 to 5 s after the start.
    QCoro::Task<> flake()
    {
        const std::chrono::milliseconds lifetime(QRandomGenerator::global()->bounded(2000, 5001));
        co_await sleepFor(1s);
        setHealth(Health::Degraded, QStringLiteral("packet loss"));
        co_await sleepFor(lifetime - 1s);
        throw std::runtime_error("connection dropped");
    }

    std::chrono::milliseconds m_startTime;
    std::chrono::milliseconds m_stopTime;
    QLifecycle::Dependencies m_dependencies;
    bool m_flaky = false;
};

// The root: the user's documents. It answers the quit guard: with unsaved changes it asks
// "Save, Discard or Cancel" in a message box, without a nested event loop.
class Documents : public DemoService
{
    Q_OBJECT
public:
    using DemoService::DemoService;

    bool unsaved = false;      // the window's "Pretend unsaved changes"
    QWidget *window = nullptr; // the message box's parent

    // [snippet:widgets-quit-guard]
    QCoro::Task<bool> confirmQuit(QLifecycle::ServiceManager::StopReason reason)
    {
        using Reason = QLifecycle::ServiceManager::StopReason;
        if (!unsaved)
            co_return true;
        if (reason == Reason::Signal || reason == Reason::SessionEnd) {
            co_await save(); // nobody may be there to answer
            co_return true;
        }
        QPointer<QMessageBox> box = new QMessageBox(
            QMessageBox::Warning, tr("Unsaved changes"), tr("Save your changes before quitting?"),
            QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, window);
        box->open(); // window-modal, and no nested event loop: the guard awaits the answer
        // A second quit while the box is open goes on without it: the box goes too.
        if (manager())
            connect(manager(), &QLifecycle::ServiceManager::stateChanged, box,
                    [box](QLifecycle::QService::State state) {
                        if (state == QLifecycle::QService::State::Stopping && box)
                            box->reject();
                    });
        co_await waitForSignal(box.data(), &QMessageBox::finished);
        const auto answer = box ? box->standardButton(box->clickedButton()) : QMessageBox::Cancel;
        if (box)
            box->deleteLater();
        if (answer == QMessageBox::Cancel || answer == QMessageBox::NoButton)
            co_return false; // nothing stops, the window stays
        if (answer == QMessageBox::Save)
            co_await save();
        co_return true;
    }
    // [/snippet:widgets-quit-guard]

Q_SIGNALS:
    void saved();

private:
    QCoro::Task<> save()
    {
        co_await sleepFor(300ms); // stands in for writing the files
        unsaved = false;
        Q_EMIT saved();
    }
};
