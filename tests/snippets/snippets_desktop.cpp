// The code shown in docs/lifecycle.md's sections on the desktop application path: stop
// reasons, the quit guard, progress and start policies. tst_snippets checks that the Markdown
// blocks are copies of the marked regions, and runs the examples below with a
// QCoreApplication (what needs a window is in snippets_qml.cpp, compiled only).

#include "docexamples.h"

#include <QLifecycle/QService>
#include <QLifecycle/ServiceManager>
#include <QLifecycle/TestKit>

#include <QtCore/QCoreApplication>
#include <QtTest/QTest>

#include <memory>
#include <utility>

using namespace std::chrono_literals;

namespace desktop {

// [snippet:stop-reason-in-stop]
class Session : public QLifecycle::QService
{
    Q_OBJECT
public:
    QStringList openDocuments;  // what the user has open
    QStringList reopenNextTime; // what the next start reopens

protected:
    QCoro::Task<> stop() override
    {
        using Reason = QLifecycle::ServiceManager::StopReason;
        const Reason reason = manager() ? manager()->stopReason() : Reason::None;
        // After a failure, do not reopen what may have caused it.
        reopenNextTime = reason == Reason::Failure ? QStringList() : openDocuments;
        co_return;
    }
};
// [/snippet:stop-reason-in-stop]

// [snippet:quit-guard-service]
class Documents : public QLifecycle::QService
{
    Q_OBJECT
public:
    bool hasUnsavedChanges() const { return m_unsaved; }
    void edit() { m_unsaved = true; }

    // The quit guard: may the application quit now?
    QCoro::Task<bool> confirmQuit(QLifecycle::ServiceManager::StopReason reason)
    {
        using Reason = QLifecycle::ServiceManager::StopReason;
        if (!m_unsaved)
            co_return true;
        if (reason == Reason::Signal || reason == Reason::SessionEnd) {
            co_await save(); // nobody may be there to answer: keep the work, and quit
            co_return true;
        }
        m_asking = true;
        Q_EMIT unsavedChangesOnQuit(); // the user interface asks: Save, Discard or Cancel
        co_await waitForSignal(this, &Documents::answered);
        if (m_answer == Answer::Cancel)
            co_return false; // nothing stops, the window stays open
        if (m_answer == Answer::Save)
            co_await save();
        co_return true;
    }

public Q_SLOTS:
    // The buttons of the user interface's "Unsaved changes" dialog.
    void saveAndQuit() { answer(Answer::Save); }
    void discardAndQuit() { answer(Answer::Discard); }
    void cancelQuit() { answer(Answer::Cancel); }

Q_SIGNALS:
    void unsavedChangesOnQuit();
    void answered();

private:
    enum class Answer { Save, Discard, Cancel };
    void answer(Answer answer)
    {
        if (!std::exchange(m_asking, false))
            return; // one answer per question
        m_answer = answer;
        Q_EMIT answered();
    }
    QCoro::Task<> save()
    {
        co_await sleepFor(10ms); // stands in for writing the files
        m_unsaved = false;
    }

    bool m_unsaved = false;
    bool m_asking = false;
    Answer m_answer = Answer::Cancel;
};
// [/snippet:quit-guard-service]

class Editor : public QLifecycle::QService
{
    Q_OBJECT
public:
    Editor(Documents *documents, Session *session) : m_documents(documents), m_session(session) {}

protected:
    QLifecycle::Dependencies dependencies() const override { return {{m_documents, m_session}}; }

private:
    Documents *m_documents;
    Session *m_session;
};

void installGuard(QLifecycle::ServiceManager &manager, Documents &documents)
{
    // [snippet:quit-guard-install]
    manager.setQuitGuard([&documents](QLifecycle::ServiceManager::StopReason reason) {
        return documents.confirmQuit(reason); // a plain lambda that returns the coroutine
    });
    // [/snippet:quit-guard-install]
}

// A console's view of a shutdown.
void showShutdown(QLifecycle::ServiceManager &manager)
{
    // [snippet:stop-progress-console]
    QObject::connect(&manager, &QLifecycle::ServiceManager::stopProgressChanged, &manager,
                     [&manager](double progress) {
                         qInfo().noquote() << "stopping:" << qRound(progress * 100) << "%"
                                           << manager.stoppingServices().join(u", ");
                     });
    // [/snippet:stop-progress-console]
}

// Start policies: an index built when the application is idle, an exporter started the first
// time something is exported.
class Index : public QLifecycle::QService
{
    Q_OBJECT
};

class Exporter : public QLifecycle::QService
{
    Q_OBJECT
public:
    int exported = 0;
    void write(const QString &) { ++exported; }
};

class App : public QLifecycle::QService
{
    Q_OBJECT
public:
    App(Index *index, Exporter *exporter) : m_index(index), m_exporter(exporter) {}

protected:
    QLifecycle::Dependencies dependencies() const override { return {{m_index, m_exporter}}; }

private:
    Index *m_index;
    Exporter *m_exporter;
};

void setPolicies(Index &index, Exporter &exporter)
{
    // [snippet:start-policies]
    index.setStartPolicy(QLifecycle::QService::StartPolicy::WhenIdle);
    exporter.setStartPolicy(QLifecycle::QService::StartPolicy::OnDemand);
    // [/snippet:start-policies]
}

// [snippet:ensure-running]
QCoro::Task<> exportDocument(QLifecycle::ServiceManager &manager, Exporter &exporter,
                             QString document)
{
    co_await manager.ensureRunning(&exporter); // starts it and what it needs, once
    exporter.write(document);
}
// [/snippet:ensure-running]

// Follows a guard's coroutine to its end, for the tests.
QCoro::Task<bool> followed(QCoro::Task<bool> guard, std::shared_ptr<QString> outcome)
{
    try {
        const bool proceed = co_await guard;
        *outcome = proceed ? QStringLiteral("yes") : QStringLiteral("no");
        co_return proceed;
    } catch (const QLifecycle::Cancelled &) {
        *outcome = QStringLiteral("cancelled");
        throw;
    }
}

} // namespace desktop

class tst_DocExamplesDesktop : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void stopReasonIsReadInStop()
    {
        using Reason = QLifecycle::ServiceManager::StopReason;
        desktop::Documents documents;
        desktop::Session session;
        desktop::Editor editor(&documents, &session);
        session.openDocuments = {QStringLiteral("notes.txt")};
        QLifecycle::ServiceManager manager(&editor);
        QCOMPARE(manager.stopReason(), Reason::None);
        QLifecycle::Test::runBlocking(manager.start());
        QCOMPARE(manager.stopReason(), Reason::None); // running, no stop asked
        manager.requestStopFor(Reason::WindowClosed);
        QVERIFY(QLifecycle::Test::waitForState(&manager, QLifecycle::State::Stopped));
        QCOMPARE(manager.stopReason(), Reason::WindowClosed);
        QCOMPARE(session.reopenNextTime, session.openDocuments);

        // The first reason of a run is kept; a new start clears it.
        QLifecycle::Test::runBlocking(manager.start());
        QCOMPARE(manager.stopReason(), Reason::None);
        manager.requestStop();
        manager.requestStopFor(Reason::Signal);
        QVERIFY(QLifecycle::Test::waitForState(&manager, QLifecycle::State::Stopped));
        QCOMPARE(manager.stopReason(), Reason::Requested);
    }

    void stopReasonIsFailureAfterACrash()
    {
        using Reason = QLifecycle::ServiceManager::StopReason;
        desktop::Session session;
        session.openDocuments = {QStringLiteral("notes.txt")};
        session.reopenNextTime = {QStringLiteral("older.txt")};
        QLifecycle::Test::ScriptedService worker(QStringLiteral("worker"));
        worker.deps = {&session};
        worker.crashAfter = 5ms;
        QLifecycle::ServiceManager manager(&worker);
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("scripted crash")));
        QLifecycle::Test::runBlocking(manager.start());
        QVERIFY(QLifecycle::Test::waitForState(&manager, QLifecycle::State::Failed));
        QCOMPARE(manager.stopReason(), Reason::Failure);
        QCOMPARE(session.reopenNextTime, QStringList());
    }

    void quitGuardCancelsThenLetsTheQuitGoOn()
    {
        using Reason = QLifecycle::ServiceManager::StopReason;
        desktop::Documents documents;
        desktop::Session session;
        desktop::Editor editor(&documents, &session);
        QLifecycle::ServiceManager manager(&editor);
        desktop::installGuard(manager, documents);
        int asked = 0;
        // The user interface: Cancel the first time, Save the second.
        connect(&documents, &desktop::Documents::unsavedChangesOnQuit, this, [&] {
            ++asked;
            QTimer::singleShot(5ms, &documents,
                               asked == 1 ? &desktop::Documents::cancelQuit
                                          : &desktop::Documents::saveAndQuit);
        });
        QList<QLifecycle::State> seen;
        connect(&manager, &QLifecycle::ServiceManager::stateChanged, this,
                [&](QLifecycle::State state) {
                    seen.append(state);
                    if (state == QLifecycle::State::Running) {
                        documents.edit();
                        QTimer::singleShot(0, qApp, &QCoreApplication::quit);     // "Quit" menu
                        QTimer::singleShot(100ms, qApp, &QCoreApplication::quit); // again
                    }
                });
        QCOMPARE(manager.run(), 0);
        QCOMPARE(asked, 2);
        QVERIFY(!documents.hasUnsavedChanges()); // saved on the second answer
        QCOMPARE(manager.stopReason(), Reason::Quit);
        QCOMPARE(seen, (QList{QLifecycle::State::Starting, QLifecycle::State::Running,
                              QLifecycle::State::Stopping, QLifecycle::State::Stopped}));
    }

    void secondQuitSkipsTheGuardAndCancelsItsWait()
    {
        using Reason = QLifecycle::ServiceManager::StopReason;
        desktop::Documents documents;
        desktop::Session session;
        desktop::Editor editor(&documents, &session);
        QLifecycle::ServiceManager manager(&editor);
        auto outcome = std::make_shared<QString>(QStringLiteral("running"));
        manager.setQuitGuard([&documents, outcome](Reason reason) {
            return desktop::followed(documents.confirmQuit(reason), outcome);
        });
        int asked = 0;
        // The dialog is up, the user does not answer and closes the window again.
        connect(&documents, &desktop::Documents::unsavedChangesOnQuit, this, [&] {
            ++asked;
            QTimer::singleShot(10ms, qApp, &QCoreApplication::quit);
        });
        connect(&manager, &QLifecycle::ServiceManager::stateChanged, this,
                [&](QLifecycle::State state) {
                    if (state == QLifecycle::State::Running) {
                        documents.edit();
                        QTimer::singleShot(0, qApp, &QCoreApplication::quit);
                    }
                });
        QCOMPARE(manager.run(), 0);
        QCOMPARE(asked, 1);
        QCOMPARE(*outcome, QStringLiteral("cancelled"));
        QVERIFY(documents.hasUnsavedChanges()); // nobody answered Save
    }

    void quitGuardIsNotAskedForRequestStop()
    {
        desktop::Documents documents;
        desktop::Session session;
        desktop::Editor editor(&documents, &session);
        QLifecycle::ServiceManager manager(&editor);
        desktop::installGuard(manager, documents);
        int asked = 0;
        connect(&documents, &desktop::Documents::unsavedChangesOnQuit, this, [&] { ++asked; });
        connect(&manager, &QLifecycle::ServiceManager::stateChanged, this,
                [&](QLifecycle::State state) {
                    if (state == QLifecycle::State::Running) {
                        documents.edit();
                        manager.requestStop();
                    }
                });
        QCOMPARE(manager.run(), 0);
        QCOMPARE(asked, 0);
        QVERIFY(documents.hasUnsavedChanges());
    }

    void stopProgressRisesFromZero()
    {
        QLifecycle::Test::ScriptedService db(QStringLiteral("db")), api(QStringLiteral("api"));
        api.deps = {&db};
        QLifecycle::ServiceManager manager(&api);
        desktop::showShutdown(manager);
        QLifecycle::Test::runBlocking(manager.start());
        QCOMPARE(manager.startProgress(), 1.0);
        QCOMPARE(manager.stopProgress(), 0.0);
        // One line a service, rising: nothing at 0 %, never 100 % before the end.
        QTest::ignoreMessage(QtInfoMsg, QRegularExpression(QStringLiteral("^stopping: 50 %")));
        QTest::ignoreMessage(QtInfoMsg, QRegularExpression(QStringLiteral("^stopping: 100 %")));
        QLifecycle::Test::runBlocking(manager.stop());
        QCOMPARE(manager.stopProgress(), 1.0);
        QCOMPARE(manager.progress(), 0.0); // no operation under way
    }

    void onDemandServiceRunsOnceEnsured()
    {
        desktop::Index index;
        desktop::Exporter exporter;
        desktop::App app(&index, &exporter);
        desktop::setPolicies(index, exporter);
        QCOMPARE(exporter.startPolicy(), QLifecycle::QService::StartPolicy::OnDemand);
        QLifecycle::ServiceManager manager(&app);
        QLifecycle::Test::runBlocking(manager.start());
        QCOMPARE(app.state(), QLifecycle::State::Running); // without waiting for the exporter
        QCOMPARE(exporter.state(), QLifecycle::State::Stopped);
        QLifecycle::Test::runBlocking(
            desktop::exportDocument(manager, exporter, QStringLiteral("notes.txt")));
        QCOMPARE(exporter.state(), QLifecycle::State::Running);
        QCOMPARE(exporter.exported, 1);
        QLifecycle::Test::runBlocking(manager.stop());
        QCOMPARE(exporter.state(), QLifecycle::State::Stopped);
        // Outside a run, it cannot be started on demand.
        QString refusal;
        try {
            QLifecycle::Test::runBlocking(manager.ensureRunning(&exporter));
        } catch (const QLifecycle::LifecycleError &error) {
            refusal = error.message();
        }
        QVERIFY2(refusal.contains(u"ensureRunning(desktop::Exporter): the graph is not running"),
                 qPrintable(refusal));
    }
};

QObject *makeDesktopExamples()
{
    return new tst_DocExamplesDesktop;
}

#include "snippets_desktop.moc"
