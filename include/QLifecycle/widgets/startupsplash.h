#pragma once

#include <QLifecycle/widgets/qlifecycle_widgets_export.h>

#include <QtCore/QObject>
#include <QtCore/QString>

#include <memory>

class QSplashScreen;
class QWidget;

namespace QLifecycle {

class ServiceManager;
class StartupSplashPrivate;

/*!
 * Shows a ServiceManager's start on a QSplashScreen (docs/widgets.md, "The splash").
 *
 * While the manager starts, the splash shows the start's progress as a bar drawn over its
 * pixmap and a message such as "Starting… 3 of 6: Database": how many of the services the
 * start waits for run, and which are starting now. Services whose start is deferred
 * (QService::StartPolicy) are counted apart, "(2 later)": the start does not wait for them.
 *
 * Once the manager is Running, the main window (if one is given) is shown and the splash
 * finishes with QSplashScreen::finish(), so that it closes when the window is up. If the start
 * ends otherwise (it failed, or a quit stopped it), the splash closes at once, the main
 * window is shown likewise, and finished(false) tells the application to show what happened
 * (ServiceManager::errorString(), a ServiceTableView): the splash never shows the error itself.
 *
 * \code
 * QSplashScreen splash(QPixmap(u":/splash.png"_s));
 * new QLifecycle::StartupSplash(&manager, &splash, &window); // owned by the splash
 * splash.show();
 * return manager.run(QLifecycle::ServiceManager::RunMode::UntilQuit);
 * \endcode
 */
class QLIFECYCLE_WIDGETS_EXPORT StartupSplash : public QObject
{
    Q_OBJECT
    /*! What the splash shows now: "Starting… 3 of 6: Database", or an empty string. */
    Q_PROPERTY(QString message READ message NOTIFY messageChanged FINAL)
    /*! The start's progress in percent, from 0 to 100 (ServiceManager::startProgress). */
    Q_PROPERTY(int progress READ progress NOTIFY progressChanged FINAL)
    /*! Whether the splash has finished (the start ended, one way or the other). */
    Q_PROPERTY(bool isFinished READ isFinished NOTIFY finished FINAL)

public:
    /*!
     * Binds \a splash to the start of \a manager; it is a child of \a splash. \a mainWindow,
     * if given, is shown when the start ends, and the splash closes once it is up.
     */
    StartupSplash(ServiceManager *manager, QSplashScreen *splash, QWidget *mainWindow = nullptr);
    /*! Unbinds the splash; neither the manager nor the splash is touched. */
    ~StartupSplash() override;

    /*! The manager whose start is shown. */
    ServiceManager *manager() const;
    /*! The splash screen. */
    QSplashScreen *splashScreen() const;
    /*! The window shown when the start ends, or nullptr. */
    QWidget *mainWindow() const;
    /*! Sets the window shown when the start ends (not owned). */
    void setMainWindow(QWidget *window);
    /*! What the splash shows now (see the property). */
    QString message() const;
    /*! The start's progress in percent. */
    int progress() const;
    /*! Whether the splash has finished. */
    bool isFinished() const;

Q_SIGNALS:
    /*! Emitted when message changes. */
    void messageChanged(const QString &message);
    /*! Emitted when progress changes. */
    void progressChanged(int percent);
    /*! Emitted once, when the splash finishes: \a started is true when the manager runs,
     *  false when the start failed or was stopped (the application shows why). */
    void finished(bool started);

private:
    void step();

    Q_DECLARE_PRIVATE(StartupSplash)
    std::unique_ptr<StartupSplashPrivate> const d_ptr;
};

} // namespace QLifecycle
