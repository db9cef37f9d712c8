#pragma once

#include <QLifecycle/widgets/qlifecycle_widgets_export.h>

#include <QtWidgets/QWidget>

#include <memory>

namespace QLifecycle {

class ServiceManager;
class ShutdownProgressPrivate;

/*!
 * The shutdown of a widget application, shown over its main window (docs/widgets.md, "The
 * shutdown progress"): while a ServiceManager stops because the application is asked to end
 * (a quit, the window closed, a signal, the session ending: ServiceManager::StopReason), it
 * covers the window with a panel that says why ("The window was closed"), which services stop
 * now, and the stop's progress (ServiceManager::stopProgress): empty when the stop begins,
 * full when it ends. It hides again when a start begins.
 *
 * Give the same window to ServiceManager::setMainWindow(): the window then stays open while
 * the services stop, and the panel has a window to be shown in. A stop that is no quit
 * (requestStop(), a failure) shows nothing: the application goes on and shows it its own way.
 *
 * \code
 * manager.setMainWindow(&window);
 * new QLifecycle::ShutdownProgress(&manager, &window); // a child of the window
 * \endcode
 */
class QLIFECYCLE_WIDGETS_EXPORT ShutdownProgress : public QWidget
{
    Q_OBJECT
    /*! The stop's progress in percent, from 0 to 100. */
    Q_PROPERTY(int value READ value NOTIFY valueChanged FINAL)
    /*! Why the application ends: "The window was closed", "Quitting"... */
    Q_PROPERTY(QString reasonText READ reasonText NOTIFY textChanged FINAL)
    /*! What stops now: "Stopping Database, Cache", then "Stopped". */
    Q_PROPERTY(QString detailText READ detailText NOTIFY textChanged FINAL)

public:
    /*!
     * Shows the shutdown of \a manager over \a window, whose child it becomes (it covers the
     * whole window, and follows its size). Hidden until the manager stops for a quit.
     */
    ShutdownProgress(ServiceManager *manager, QWidget *window);
    /*! Destroys the panel; the manager is not touched. */
    ~ShutdownProgress() override;

    /*! The manager whose stop is shown. */
    ServiceManager *manager() const;
    /*! The stop's progress in percent. */
    int value() const;
    /*! Why the application ends (see the property). */
    QString reasonText() const;
    /*! What stops now (see the property). */
    QString detailText() const;

Q_SIGNALS:
    /*! Emitted when value changes. */
    void valueChanged(int percent);
    /*! Emitted when reasonText or detailText changes. */
    void textChanged();

protected:
    /*! Follows the size of the window it covers. */
    bool eventFilter(QObject *watched, QEvent *event) override;
    /*! Dims the window under the panel. */
    void paintEvent(QPaintEvent *event) override;

private:
    Q_DECLARE_PRIVATE(ShutdownProgress)
    std::unique_ptr<ShutdownProgressPrivate> const d_ptr;
};

} // namespace QLifecycle
