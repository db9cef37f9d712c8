// The widgets example's quit guard (examples/widgets/services.h, docs/widgets.md "Asking before
// quitting"): with unsaved changes, closing the main window opens a message box without a
// nested event loop; Cancel keeps everything running, Discard quits, a second close while it is
// open quits without it.

#include "services.h"

#include <QLifecycle/ServiceManager>
#include <QLifecycle/ShutdownProgress>

#include <QtCore/QTimer>
#include <QtTest/QTest>
#include <QtWidgets/QAbstractButton>
#include <QtWidgets/QApplication>
#include <QtWidgets/QMainWindow>
#include <QtWidgets/QMessageBox>

#include <functional>

using namespace QLifecycle;
using State = QService::State;
using Reason = ServiceManager::StopReason;

namespace {

// The message box the guard opened, or nullptr.
QMessageBox *openBox()
{
    for (QWidget *widget : QApplication::topLevelWidgets()) {
        if (auto *box = qobject_cast<QMessageBox *>(widget); box && box->isVisible())
            return box;
    }
    return nullptr;
}

// Runs \a then once the guard's message box is open.
void whenBoxOpens(QObject *context, std::function<void(QMessageBox *)> then)
{
    auto *timer = new QTimer(context);
    QObject::connect(timer, &QTimer::timeout, context, [timer, then] {
        if (QMessageBox *box = openBox()) {
            timer->deleteLater();
            then(box);
        }
    });
    timer->start(10);
}

} // namespace

class tst_WidgetsGuard : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void cancelKeepsRunningDiscardQuits();
    void withoutUnsavedChangesNothingIsAsked();
    void secondCloseQuitsWithoutTheAnswer();

private:
    void setUp(Documents &documents, QMainWindow &window, ServiceManager &manager)
    {
        documents.unsaved = true;
        documents.window = &window;
        manager.setMainWindow(&window);
        new ShutdownProgress(&manager, &window);
        manager.setQuitGuard([&documents](Reason reason) { return documents.confirmQuit(reason); });
        window.show();
    }
};

void tst_WidgetsGuard::cancelKeepsRunningDiscardQuits()
{
    DemoService db(QStringLiteral("db"), 10ms, 10ms, {});
    Documents documents(QStringLiteral("documents"), 10ms, 10ms, {&db});
    ServiceManager manager(&documents);
    QMainWindow window;
    setUp(documents, window, manager);
    int boxes = 0;
    connect(&manager, &ServiceManager::stateChanged, this, [&](State state) {
        if (state != State::Running || boxes > 0)
            return;
        QTimer::singleShot(0, &window, [&window] { window.close(); });
        whenBoxOpens(this, [&](QMessageBox *box) {
            ++boxes;
            box->button(QMessageBox::Cancel)->click();
            QTimer::singleShot(50, this, [&] {
                // Cancel: nothing stops, the window stays.
                QCOMPARE(manager.state(), State::Running);
                QVERIFY(window.isVisible());
                QCOMPARE(manager.stopReason(), Reason::None);
                window.close();
                whenBoxOpens(this, [&](QMessageBox *again) {
                    ++boxes;
                    again->button(QMessageBox::Discard)->click();
                });
            });
        });
    });
    QCOMPARE(manager.run(ServiceManager::RunMode::UntilQuit), 0);
    QCOMPARE(boxes, 2);
    QCOMPARE(manager.stopReason(), Reason::WindowClosed);
    QCOMPARE(documents.unsaved, true); // discarded, not saved
}

void tst_WidgetsGuard::withoutUnsavedChangesNothingIsAsked()
{
    Documents documents(QStringLiteral("documents"), 10ms, 10ms, {});
    ServiceManager manager(&documents);
    QMainWindow window;
    setUp(documents, window, manager);
    documents.unsaved = false;
    bool asked = false;
    connect(&manager, &ServiceManager::stateChanged, this, [&](State state) {
        if (state == State::Running)
            QTimer::singleShot(0, &window, [&window] { window.close(); });
        if (state == State::Stopping)
            asked = openBox() != nullptr;
    });
    QCOMPARE(manager.run(ServiceManager::RunMode::UntilQuit), 0);
    QVERIFY(!asked);
    QCOMPARE(manager.stopReason(), Reason::WindowClosed);
}

void tst_WidgetsGuard::secondCloseQuitsWithoutTheAnswer()
{
    Documents documents(QStringLiteral("documents"), 10ms, 10ms, {});
    ServiceManager manager(&documents);
    QMainWindow window;
    setUp(documents, window, manager);
    QPointer<QMessageBox> opened;
    connect(&manager, &ServiceManager::stateChanged, this, [&](State state) {
        if (state != State::Running)
            return;
        QTimer::singleShot(0, &window, [&window] { window.close(); });
        whenBoxOpens(this, [&](QMessageBox *box) {
            opened = box;
            window.close(); // again, without answering: quit anyway
        });
    });
    QCOMPARE(manager.run(ServiceManager::RunMode::UntilQuit), 0);
    QVERIFY(opened.isNull() || !opened->isVisible()); // the box went with the quit
    QCOMPARE(manager.stopReason(), Reason::WindowClosed);
}

QTEST_MAIN(tst_WidgetsGuard)
#include "tst_widgetsguard.moc"
