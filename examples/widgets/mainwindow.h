#pragma once

#include <QtWidgets/QMainWindow>

class QCheckBox;
class QLabel;
class Documents;

namespace QLifecycle {
class ServiceManager;
class ServiceTableView;
} // namespace QLifecycle

// The example's window: the service table, a status line, and "Pretend unsaved changes",
// which makes the quit guard ask before the application quits.
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    MainWindow(QLifecycle::ServiceManager *manager, Documents *documents);

    QLifecycle::ServiceTableView *table() const { return m_table; }
    QCheckBox *unsavedChanges() const { return m_unsaved; }

private:
    void showState();

    QLifecycle::ServiceManager *m_manager;
    QLifecycle::ServiceTableView *m_table;
    QCheckBox *m_unsaved;
    QLabel *m_status;
};
