#include "manager/starttriggers.h"

#include "service/logging.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QEvent>
#include <QtCore/QMetaMethod>
#include <QtCore/QPointer>
#include <QtCore/QThread>
#include <QtCore/QTimer>
#include <QtCore/QVariant>

#include <vector>

namespace QLifecycle::detail {

namespace {

void later(QObject *context, std::function<void()> then)
{
    QMetaObject::invokeMethod(context, std::move(then), Qt::QueuedConnection);
}

} // namespace

// Watches the application's events until its first window presents a frame. QtCore only: a
// window is recognised by its meta-object (QObject::isWindowType(), the class name of a Qt
// Quick window), so that applications without a GUI do not load one.
class FirstFrame : public QObject
{
    Q_OBJECT
public:
    static FirstFrame *instance()
    {
        static FirstFrame *watcher = nullptr;
        if (!watcher) {
            watcher = new FirstFrame();
            // Destroyed with the application; a later application starts over.
            QObject::connect(QCoreApplication::instance(), &QObject::destroyed,
                             [] { delete std::exchange(watcher, nullptr); });
        }
        return watcher;
    }

    void add(QObject *context, std::function<void()> then)
    {
        if (m_presented) {
            later(context, std::move(then));
            return;
        }
        m_waiting.push_back({context, std::move(then)});
        if (!m_watching) {
            m_watching = true;
            QCoreApplication::instance()->installEventFilter(this);
        }
    }

protected:
    bool eventFilter(QObject *watched, QEvent *event) override
    {
        if (event->type() == QEvent::Expose && watched->isWindowType() &&
            watched->property("visible").toBool() && !m_presented) {
            const int swapped = watched->metaObject()->indexOfSignal("frameSwapped()");
            if (swapped >= 0 && watched->inherits("QQuickWindow")) {
                // Rendered by the scene graph, maybe on its own thread: the frame counts once
                // it was swapped.
                if (!m_followed.contains(watched)) {
                    m_followed.append(watched);
                    QObject::connect(
                        watched, watched->metaObject()->method(swapped), this,
                        staticMetaObject.method(staticMetaObject.indexOfSlot("presented()")),
                        Qt::QueuedConnection);
                }
            } else {
                // Painted while its exposure is handled: presented once that is over.
                QMetaObject::invokeMethod(
                    this, [this] { presented(); }, Qt::QueuedConnection);
            }
        }
        return QObject::eventFilter(watched, event);
    }

private Q_SLOTS:
    void presented()
    {
        if (m_presented)
            return;
        m_presented = true;
        QCoreApplication::instance()->removeEventFilter(this);
        qCDebug(lcManager) << "first frame presented: deferred starts may begin";
        for (Waiting &waiting : std::exchange(m_waiting, {}))
            if (waiting.context)
                later(waiting.context, std::move(waiting.then));
    }

private:
    struct Waiting {
        QPointer<QObject> context;
        std::function<void()> then;
    };

    std::vector<Waiting> m_waiting;
    QList<QPointer<QObject>> m_followed;
    bool m_presented = false;
    bool m_watching = false;
};

void afterFirstFrame(QObject *context, std::function<void()> then)
{
    QCoreApplication *app = QCoreApplication::instance();
    if (!app || !app->inherits("QGuiApplication") || context->thread() != app->thread()) {
        later(context, std::move(then)); // no window will present anything here
        return;
    }
    FirstFrame::instance()->add(context, std::move(then));
}

void whenIdle(QObject *context, std::function<void()> then)
{
    // A zero timer fires once the events pending now have been processed: Qt's idle moment.
    QTimer::singleShot(0, context, std::move(then));
}

} // namespace QLifecycle::detail

#include "starttriggers.moc"
