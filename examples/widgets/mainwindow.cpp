#include "mainwindow.h"

#include "services.h"

#include <QLifecycle/ServiceManager>
#include <QLifecycle/ServiceTableView>

#include <QtCore/QMetaEnum>
#include <QtWidgets/QApplication>
#include <QtWidgets/QCheckBox>
#include <QtWidgets/QHBoxLayout>
#include <QtWidgets/QLabel>
#include <QtWidgets/QMenuBar>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QVBoxLayout>

using QLifecycle::ServiceManager;
using State = QLifecycle::QService::State;

MainWindow::MainWindow(ServiceManager *manager, Documents *documents)
    : m_manager(manager), m_table(new QLifecycle::ServiceTableView(manager)),
      m_unsaved(new QCheckBox(tr("Pretend unsaved changes"))), m_status(new QLabel)
{
    setWindowTitle(tr("QLifecycle widgets example"));

    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addAction(m_table->retryAction());
    file->addSeparator();
    // quit() is a quit request: the quit guard is asked, then the services stop.
    file->addAction(tr("&Quit"), QKeySequence::Quit, qApp, &QCoreApplication::quit);

    auto *quit = new QPushButton(tr("Quit"));
    connect(quit, &QPushButton::clicked, qApp, &QCoreApplication::quit);
    connect(m_unsaved, &QCheckBox::toggled, documents,
            [documents](bool unsaved) { documents->unsaved = unsaved; });
    connect(documents, &Documents::saved, m_unsaved, [this] { m_unsaved->setChecked(false); });

    auto *central = new QWidget;
    auto *layout = new QVBoxLayout(central);
    layout->addWidget(m_status);
    layout->addWidget(m_table, 1);
    auto *row = new QHBoxLayout;
    row->addWidget(m_unsaved);
    row->addStretch(1);
    row->addWidget(quit);
    layout->addLayout(row);
    setCentralWidget(central);

    connect(manager, &ServiceManager::stateChanged, this, &MainWindow::showState);
    connect(manager, &ServiceManager::deferredCountChanged, this, &MainWindow::showState);
    connect(manager, &ServiceManager::errorStringChanged, this, &MainWindow::showState);
    showState();
    resize(940, 330);
}

void MainWindow::showState()
{
    const State state = m_manager->state();
    QString text =
        tr("Services: %1")
            .arg(QString::fromLatin1(QMetaEnum::fromType<State>().valueToKey(int(state))));
    if (state == State::Running && m_manager->deferredCount() > 0)
        text += tr(" (%n waiting to start)", nullptr, m_manager->deferredCount());
    if (state == State::Failed)
        text += tr(": %1. Press Retry to start them again.")
                    .arg(m_manager->errorString().section(QLatin1Char('\n'), 0, 0));
    m_status->setText(text);
}
