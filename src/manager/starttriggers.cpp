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
public:
    FirstFrame()
    {
        // A Qt Quick window's frameSwapped() is found by name: it starts this timer (a slot
        // that Qt has), queued, and the timer says the frame was presented.
        m_swapped.setSingleShot(true);
        m_swapped.setInterval(0);
        QObject::connect(&m_swapped, &QTimer::timeout, this, [this] { presented(); });
    }

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

    void watch()
    {
        if (!m_watching && !m_presented) {
            m_watching = true;
            QCoreApplication::instance()->installEventFilter(this);
        }
    }

    void add(QObject *context, QObject *mainWindow, std::function<void()> then)
    {
        // A main window on screen already presents frames (the graph starts after its first:
        // from its user interface, or after a manager made once the window was shown).
        if (!m_presented && mainWindow && mainWindow->property("visible").toBool())
            presented();
        if (m_presented) {
            later(context, std::move(then));
            return;
        }
        m_waiting.push_back({context, std::move(then)});
        watch();
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
                    const QMetaObject &timer = QTimer::staticMetaObject;
                    QObject::connect(watched, watched->metaObject()->method(swapped), &m_swapped,
                                     timer.method(timer.indexOfSlot("start()")),
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

private:
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

    struct Waiting {
        QPointer<QObject> context;
        std::function<void()> then;
    };

    std::vector<Waiting> m_waiting;
    QList<QPointer<QObject>> m_followed;
    QTimer m_swapped;
    bool m_presented = false;
    bool m_watching = false;
};

namespace {
bool presentsFrames(const QObject *context)
{
    const QCoreApplication *app = QCoreApplication::instance();
    return app && app->inherits("QGuiApplication") && context->thread() == app->thread();
}
} // namespace

void watchFirstFrame(QObject *context)
{
    if (presentsFrames(context))
        FirstFrame::instance()->watch();
}

void afterFirstFrame(QObject *context, QObject *mainWindow, std::function<void()> then)
{
    if (!presentsFrames(context)) {
        later(context, std::move(then)); // no window will present anything here
        return;
    }
    FirstFrame::instance()->add(context, mainWindow, std::move(then));
}

void whenIdle(QObject *context, std::function<void()> then)
{
    // A zero timer fires once the events pending now have been processed: Qt's idle moment.
    QTimer::singleShot(0, context, std::move(then));
}

} // namespace QLifecycle::detail
